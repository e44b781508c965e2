/**
 * Calling user code: a callback that throws, or returns a promise that rejects, never breaks the
 * client and never becomes an unhandled rejection; the failure goes to `failed` instead.
 */
import { ErrorCode, PolygonStreamError } from '../../errors.js';
import { textOf } from '../../validate.js';

/** Call `fn`; a throw or a rejection of the promise it returns goes to `failed`. */
export function invoke(fn: () => unknown, failed: (err: unknown) => void): void {
  invokeWith(fn, undefined, undefined, failed);
}

/**
 * Call `fn(a, b)`, like `invoke`: for callbacks run once per frame, which then need no closure
 * around their arguments.
 */
export function invokeWith<A, B>(
  fn: (a: A, b: B) => unknown,
  a: A,
  b: B,
  failed: (err: unknown) => void,
): void {
  let result: unknown;
  try {
    result = fn(a, b);
  } catch (err) {
    failed(err);
    return;
  }
  if (typeof result === 'object' && result !== null) settle(result, failed);
}

/** Handle the rejection of `result` when it is a promise (or any thenable). */
export function settle(result: unknown, failed: (err: unknown) => void): void {
  try {
    const then = (result as { then?: unknown }).then;
    if (typeof then === 'function') {
      (then as (ok: unknown, fail: (err: unknown) => void) => unknown).call(
        result,
        undefined,
        failed,
      );
    }
  } catch (err) {
    failed(err);
  }
}

/** HANDLER_ERROR for a user callback (`what`) that threw or rejected with `err`. */
export function handlerError(what: string, err: unknown): PolygonStreamError {
  return new PolygonStreamError(
    ErrorCode.HandlerError,
    `${what} threw: ${thrownText(err)}`,
    {},
    { cause: err },
  );
}

/** What was thrown, as text, without running its toString. */
export function thrownText(err: unknown): string {
  if (err instanceof Error) {
    try {
      return textOf(err.message);
    } catch {
      return 'an Error';
    }
  }
  return textOf(err);
}
