/**
 * Ids name files (a recipient's letters, a campaign's attachments): letters, digits, ".", "_"
 * and "-", not starting with a dot or a dash, not ending with a dot, and no name that Windows
 * keeps for a device. One rule for recipient ids and campaign ids.
 */
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;
export const MAX_ID_LENGTH = 128;

/** What is wrong with `id` as a file-safe id, or undefined. `what` names it: "id", "the campaign id". */
export function idProblem(id: string, what = 'id'): string | undefined {
  if (id === '') return `${what} is empty`;
  if (id.length > MAX_ID_LENGTH) return `${what} is ${id.length} characters long; at most ${MAX_ID_LENGTH}`;
  if (!ID.test(id) || id.endsWith('.') || RESERVED.test(id)) {
    return `${what} "${id}" cannot name a file: use letters, digits, ".", "_" and "-" (not first, not last), and no reserved device name`;
  }
  return undefined;
}
