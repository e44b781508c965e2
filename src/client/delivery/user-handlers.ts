/**
 * The user's handlers of one client, the Python library's `onMessage`, `onError` and `onClose`
 * (the printing defaults of print-handlers.ts where not given), and the one way runtime errors
 * reach the user: `report` masks the API key (src/redact.ts), emits 'error' to lifecycle
 * listeners, then calls onError. A handler or listener that throws or rejects is reported in turn
 * (HANDLER_ERROR), except onError and 'error' listeners: reporting their failure would call them
 * again, so it is only logged.
 */
import type { PolygonStreamError } from '../../errors.js';
import { redactError } from '../../redact.js';
import type { ClientOptions } from '../config.js';
import type { Logger } from '../logger.js';
import { defaultOnClose, defaultOnError, defaultOnMessage } from '../print-handlers.js';
import { handlerError, invoke, invokeWith, thrownText } from './callbacks.js';
import type { Lifecycle, LifecycleEvents } from './lifecycle.js';

export class UserHandlers<Client> {
  /** The user's raw-frame handler, guarded against throwing; undefined when none was given. */
  readonly raw: ((raw: string) => void) | undefined;
  /** The Python library's default message handler: prints a frame, the key masked. */
  readonly print: (raw: string) => void;
  private readonly onError: (client: Client, error: PolygonStreamError) => void;
  private readonly onClose: (client: Client, code: number, reason: string) => void;

  constructor(
    /** What the handlers get as their first argument. */
    private readonly client: Client,
    private readonly apiKey: string,
    private readonly log: Logger,
    private readonly lifecycle: Lifecycle,
    handlers: Pick<ClientOptions<Client>, 'onMessage' | 'onError' | 'onClose'>,
  ) {
    const { onMessage } = handlers;
    const printMessage = defaultOnMessage(apiKey);
    this.raw = onMessage === undefined ? undefined : (raw) => this.callRaw(onMessage, raw);
    this.print = (raw) => this.callRaw(printMessage, raw);
    this.onError = handlers.onError ?? defaultOnError;
    this.onClose = handlers.onClose ?? defaultOnClose;
  }

  /** Every runtime error reaches the user through here, with the key masked (src/redact.ts). */
  readonly report = (error: PolygonStreamError): void => {
    redactError(error, this.apiKey);
    this.lifecycle.emit('error', error);
    // A failing onError is only logged: reporting it would call it again.
    invoke(
      () => this.onError(this.client, error),
      (err) => this.callbackThrew(err),
    );
  };

  /** The stream closed for good: onClose. */
  closed(code: number, reason: string): void {
    invoke(
      () => this.onClose(this.client, code, reason),
      (err) => this.report(handlerError('onClose', err)),
    );
  }

  /** A lifecycle listener of `name` threw or rejected with `err`. */
  listenerFailed(err: unknown, name: keyof LifecycleEvents): void {
    // A failing 'error' listener is only logged: reporting it would call it again.
    if (name === 'error') this.callbackThrew(err);
    else this.report(handlerError(`A '${name}' listener`, err));
  }

  private callRaw(handler: (client: Client, raw: string) => void, raw: string): void {
    invokeWith(handler, this.client, raw, this.rawFailed);
  }

  private readonly rawFailed = (err: unknown): void => this.report(handlerError('onMessage', err));

  private callbackThrew(err: unknown): void {
    this.log.error(`a user callback threw: ${thrownText(err)}`);
  }
}
