import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ErrorBodySchema } from './error-body.schema';
import { isUndescribed } from './undescribed-paths';

/** src/common/request-id.ts: an id the node keeps as sent; anything else is replaced by a new UUID. */
const REQUEST_ID_PATTERN = '^[A-Za-z0-9\\-_.:~+/=]{1,128}$';
const REQUEST_ID_ANSWERED = {
  description:
    "The request's id: the X-Request-Id sent when it was acceptable, else a new UUID; its log lines carry it",
  schema: { type: 'string' },
};

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
    .addGlobalParameters({
      name: 'X-Request-Id',
      in: 'header',
      required: false,
      description: 'An id for this request, kept in the logs and answers (1-128 of A-Z a-z 0-9 - _ . : ~ + / =)',
      schema: { type: 'string', pattern: REQUEST_ID_PATTERN },
    })
    .build();
  const document = () => {
    const built = SwaggerModule.createDocument(app, config, { extraModels: [ErrorBodySchema] });
    for (const path of Object.keys(built.paths)) if (isUndescribed(path)) delete built.paths[path];
    addRequestIdHeaders(built);
    return built;
  };
  SwaggerModule.setup(SWAGGER_UI_PATH, app, document, {
    jsonDocumentUrl: OPENAPI_JSON_PATH,
    raw: ['json'],
  });
}

/** Every answer carries the request's id (src/http/http-pipeline.ts): said once here for all of them. */
function addRequestIdHeaders(document: OpenAPIObject): void {
  for (const item of Object.values(document.paths)) {
    for (const operation of [item.get, item.put, item.post, item.delete]) {
      for (const response of Object.values(operation?.responses ?? {})) {
        if (response === undefined || '$ref' in response) continue;
        response.headers = { 'X-Request-Id': REQUEST_ID_ANSWERED, ...response.headers };
      }
    }
  }
}
