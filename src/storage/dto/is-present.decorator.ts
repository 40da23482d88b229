import { ValidateBy, ValidationOptions } from 'class-validator';

/** Any JSON value, `null` included, but the property must be there. */
export function IsPresent(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isPresent',
      validator: {
        validate: (value: unknown) => value !== undefined,
        defaultMessage: () => '$property is required (any JSON value, null included)',
      },
    },
    options,
  );
}
