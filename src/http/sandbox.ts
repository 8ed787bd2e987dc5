import { AppError } from '../errors.js';
import { DEFAULT_SANDBOX, SANDBOX_NAME, SANDBOX_NAME_RULE } from '../sandboxes/sandboxes.js';

/** Reads the `x-sandbox-name` header (default `prod`) and checks its form. */
export function sandboxFromHeader(value: string | string[] | undefined): string {
  if (value === undefined || value === '') return DEFAULT_SANDBOX;
  const name = Array.isArray(value) ? value[0] : value;
  if (name === undefined || !SANDBOX_NAME.test(name)) {
    throw new AppError(
      'validation_failed',
      'The x-sandbox-name header is not a valid sandbox name.',
      [
        {
          path: '/headers/x-sandbox-name',
          message: `must be ${SANDBOX_NAME_RULE}`,
        },
      ],
    );
  }
  return name;
}
