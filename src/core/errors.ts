/**
 * Every failure the library reports is a ShrinkmlError: a stable `code` a program can branch on, a one-line
 * message that names the file, layer or flag at fault, and an optional suggestion. Only the CLI prints them.
 */
export type ErrorCode =
  | 'BAD_INPUT'          // malformed or inconsistent user input (model.json, data files, flags)
  | 'NOT_FOUND'          // a file or folder that should exist does not
  | 'UNSUPPORTED'        // a valid input we cannot handle (unknown layer class, format feature)
  | 'NON_FINITE'         // NaN or Infinity in weights
  | 'LIMIT'              // a hard limit on untrusted input was exceeded
  | 'EXISTS'             // refusing to overwrite
  | 'BACKEND'            // a requested backend is unavailable
  | 'UNREACHABLE'        // a server the run needs (the trial queue's Redis) cannot be reached
  | 'BUDGET'             // a budget cannot be parsed or met
  | 'INTERRUPTED'        // the user stopped a long run
  | 'INTERNAL';

export interface ShrinkmlErrorOptions {
  suggestion?: string;
  cause?: unknown;
  /** The file, layer or flag the error is about, for programs that want it without parsing the message. */
  subject?: string;
}

/**
 * Every failure shrinkml reports: a stable `code`, a one-line message naming the file, layer or flag, an optional
 * `suggestion`.
 */
export class ShrinkmlError extends Error {
  readonly code: ErrorCode;
  readonly suggestion?: string;
  readonly subject?: string;

  constructor(code: ErrorCode, message: string, options: ShrinkmlErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ShrinkmlError';
    this.code = code;
    this.suggestion = options.suggestion;
    this.subject = options.subject;
  }
}

/** True when `e` is a ShrinkmlError (a reported failure, not a bug). */
export function isShrinkmlError(e: unknown): e is ShrinkmlError {
  return e instanceof ShrinkmlError;
}
