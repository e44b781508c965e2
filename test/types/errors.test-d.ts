/**
 * Type tests (compiled by `npm run typecheck` and by test/unit/types.test.ts, never run): every
 * error the client hands to user code is typed PolygonStreamError, so `error.code` is usable
 * without a cast; and the nullable fields of the stats snapshot are nullable in the type.
 */
import { expectTypeOf } from 'expect-type';
import {
  type ClientOptions,
  type ErrorCode,
  type LatencySnapshot,
  type PolygonStreamError,
  type StatsSnapshot,
  StreamClient,
} from '../../src/index.js';

type OnError = NonNullable<ClientOptions['onError']>;

// onError receives a PolygonStreamError, and its code is an ErrorCode without a cast.
expectTypeOf<Parameters<OnError>[1]>().toEqualTypeOf<PolygonStreamError>();
new StreamClient('key', 'stocks', {
  onError: (client, error) => {
    expectTypeOf(client).toEqualTypeOf<StreamClient<'stocks'>>();
    expectTypeOf(error).toEqualTypeOf<PolygonStreamError>();
    expectTypeOf(error.code).toEqualTypeOf<ErrorCode>();
  },
});
// A handler written for any Error still fits (PolygonStreamError is one).
new StreamClient('key', 'stocks', { onError: (_client, error: Error) => void error.message });
// A handler that needs more than a PolygonStreamError does not.
new StreamClient('key', 'stocks', {
  // @ts-expect-error: the client passes PolygonStreamError, not a type it does not extend
  onError: (_client, error: PolygonStreamError & { extra: string }) => void error.extra,
});

declare const client: StreamClient<'stocks'>;
// The same errors through the lifecycle listeners.
client.on('error', (error) => expectTypeOf(error).toEqualTypeOf<PolygonStreamError>());
client.on('close', ({ error }) =>
  expectTypeOf(error).toEqualTypeOf<PolygonStreamError | undefined>(),
);
client.on('reconnect', ({ cause }) => expectTypeOf(cause).toEqualTypeOf<PolygonStreamError>());

// StatsSnapshot: exactly these fields can be null (see their comments for when).
expectTypeOf<StatsSnapshot['latencyMs']>().toEqualTypeOf<LatencySnapshot | null>();
expectTypeOf<StatsSnapshot['lastFrameAt']>().toEqualTypeOf<number | null>();
type NullableKeys<T> = { [K in keyof T]-?: null extends T[K] ? K : never }[keyof T];
expectTypeOf<NullableKeys<StatsSnapshot>>().toEqualTypeOf<'latencyMs' | 'lastFrameAt'>();
expectTypeOf<NullableKeys<LatencySnapshot>>().toEqualTypeOf<never>();
