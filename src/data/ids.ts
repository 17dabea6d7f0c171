import { codePointName } from '../text/unicode';

/**
 * Ids name files (a recipient's letters, a campaign's attachments): letters, digits, ".", "_"
 * and "-", not starting with a dot or a dash, not ending with a dot, and no name that Windows
 * keeps for a device. One rule for recipient ids and campaign ids.
 */
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;
export const MAX_ID_LENGTH = 128;

/** Whether Windows keeps `name` for a device ("CON", "nul.txt": with any extension), so no file can have it. */
export function isDeviceName(name: string): boolean {
  return RESERVED.test(name);
}

/** What is wrong with `id` as a file-safe id, or undefined. `what` names it: "id", "the campaign id". */
export function idProblem(id: string, what = 'id'): string | undefined {
  if (id === '') return `${what} is empty`;
  if (id.length > MAX_ID_LENGTH) return `${what} is ${id.length} characters long; at most ${MAX_ID_LENGTH}`;
  if (!ID.test(id) || id.endsWith('.') || isDeviceName(id)) {
    return `${what} "${id}" cannot name a file${why(id)}: use the letters a-z and A-Z, digits, ".", "_" and "-" (not first, not last), and no reserved device name`;
  }
  return undefined;
}

/** What in `id` breaks the rule, as " (…)", so that an accent or a space is not left to guess. */
function why(id: string): string {
  const bad = [...id].find((ch) => !/[A-Za-z0-9._-]/.test(ch));
  if (bad === undefined) return '';
  const code = codePointName(bad);
  const shown = bad === ' ' ? 'a space' : /^[\p{L}\p{N}\p{P}\p{S}]$/u.test(bad) ? `"${bad}", ${code}` : code;
  return ` (it holds ${shown}${/\p{L}/u.test(bad) ? ', a letter outside a-z' : ''})`;
}
