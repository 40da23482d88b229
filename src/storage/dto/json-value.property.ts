import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** Any JSON value, `null` included: one schema for each JSON type, since an empty schema renders as "object". */
const ANY_JSON = {
  oneOf: [
    { type: 'object' },
    { type: 'array' },
    { type: 'string' },
    { type: 'number' },
    { type: 'boolean' },
    { type: 'null' },
  ],
};

/** Documents a property that holds any JSON value. */
export function ApiJsonValue(description: string, options: { required?: boolean } = {}): PropertyDecorator {
  return options.required === false
    ? ApiPropertyOptional({ description, ...ANY_JSON })
    : ApiProperty({ description, ...ANY_JSON });
}
