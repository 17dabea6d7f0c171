import { LetterMergeError } from '../../errors';
import type { Context } from './context';

/**
 * The --sign option as the library takes it: the file, and its password from
 * LETTERMERGE_SIGN_PASSWORD or a prompt on a terminal; never from the command line, never printed.
 */
export async function signingOption(ctx: Context, file: string | undefined): Promise<{ file: string; password: string } | undefined> {
  if (file === undefined) return undefined;
  let password = process.env.LETTERMERGE_SIGN_PASSWORD;
  if (password === undefined) {
    if (!ctx.io.askSecret) {
      throw new LetterMergeError('SIGNING', 'the signing certificate needs its password: set LETTERMERGE_SIGN_PASSWORD', { kind: 'usage' });
    }
    password = await ctx.io.askSecret(`Password for ${file}: `);
  }
  return { file, password };
}
