/** Types of scripts/build.mjs (plain JavaScript so `npm start` needs no compiler to run it). */
export type BuildKind = 'full' | 'cli' | 'browser';
export declare const KINDS: BuildKind[];
/** Every input file under `root`, as sorted `/`-separated paths relative to it. */
export declare function inputFiles(root: string): string[];
/** The hash of the inputs' paths and contents. */
export declare function sourceHash(root: string): string;
/** Whether dist/ holds a build of `kind` made from the inputs as they are now. */
export declare function isFresh(root: string, kind: BuildKind, hash?: string): boolean;
/** Records that dist/ holds a build of `kind` made from inputs hashing to `hash`. */
export declare function writeStamp(root: string, kind: BuildKind, hash: string): void;
/** Builds `kind` in `root` unless fresh (or `force`); resolves to whether it built. */
export declare function buildIfStale(
  root: string,
  kind: BuildKind,
  options?: { force?: boolean },
): Promise<boolean>;
