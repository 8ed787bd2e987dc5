import { AppError } from '../errors.js';

export const DEFAULT_SANDBOX = 'prod';
const SANDBOX_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

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
          message:
            'must be 1-63 lower-case letters, digits, "-" or "_", starting with a letter or digit',
        },
      ],
    );
  }
  return name;
}
