import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { ErrorBodySchema } from './error-body.schema';
import { isUndescribed } from './undescribed-paths';

/** Where the document is served; Swagger UI reads it from there. */
export const OPENAPI_JSON_PATH = '/kv-store/v1/openapi.json';
export const SWAGGER_UI_PATH = 'docs';

/**
 * The client API as OpenAPI 3.1, built from the controllers' and DTOs'
 * decorators when the app starts (so it cannot drift from the routes), and
 * served with Swagger UI. Controllers marked @ApiExcludeController (the
 * peer API) are left out, and so is any path under the prefixes of
 * undescribed-paths.ts, whichever controller serves it.
 */
export function setUpOpenApi(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('kv-store')
    .setDescription(
      'A replicated, linearizable key-value store (CASPaxos per key). Every node answers every request. ' +
        'Every path also answers with one trailing slash; other methods on a served path get 405 with Allow, ' +
        'OPTIONS gets 204 with Allow.',
    )
    .setVersion('1')
    .build();
  const document = () => {
    const built = SwaggerModule.createDocument(app, config, { extraModels: [ErrorBodySchema] });
    for (const path of Object.keys(built.paths)) if (isUndescribed(path)) delete built.paths[path];
    return built;
  };
  SwaggerModule.setup(SWAGGER_UI_PATH, app, document, {
    jsonDocumentUrl: OPENAPI_JSON_PATH,
    raw: ['json'],
  });
}
