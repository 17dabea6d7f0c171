import { domainToASCII } from 'node:url';
import addressparser from 'nodemailer/lib/addressparser';
import { codePointName } from '../text/unicode';

/**
 * E-mail addresses, checked the same way wherever they come from (a recipient's row, the
 * campaign's sender and contact, a manifest that `send` reads back): one address, no spaces, no
 * control characters, a dot in the domain. A domain in another script (IDN) is written in its
 * ASCII form (xn--…) in headers and envelopes. A local part in another script would need
 * SMTPUTF8, which lettermerge does not send, so it is refused with a message that says so.
 */
const LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$/;
const DOMAIN_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

/** What is wrong with `value` as one e-mail address, or undefined when nothing is. */
export function addressProblem(value: string): string | undefined {
  if (value === '') return 'the e-mail address is empty';
  if (/[\u0000-\u001f\u007f-\u009f]/.test(value)) return 'an e-mail address cannot hold a line break or other control character';
  // A zero-width space, a soft hyphen or a direction mark, pasted with the address from a web page
  // or a document: invisible in the message too, so it is named.
  const hidden = /\p{Cf}/u.exec(value);
  if (hidden) return `"${value}" holds an invisible character (${codePointName(hidden[0])}), often pasted with an address from a web page or a document: remove it`;
  // A name and its address, or two addresses, as a mail program or an address book writes them.
  const named = /^[^<>]*<\s*([^<>\s]+@[^<>\s]+)\s*>\s*$/.exec(value);
  if (named) return `"${value}" is ${/^\s*</.test(value) ? 'an address in angle brackets' : 'a name with an address'}: write the address alone (${named[1]})`;
  if ((value.match(/@/g) ?? []).length > 1 && /[,;\s]/.test(value)) return `"${value}" holds more than one address: a row has one (copies go in a cc column)`;
  if (/[\s,;<>()"]/.test(value)) return `"${value}" is not one e-mail address (it holds a space, a comma, a semicolon, a bracket or a quote)`;
  // A link copied from a web page, or an address typed on a Chinese or Japanese keyboard.
  if (/^mailto:/i.test(value)) return `"${value}" is a mailto: link, not an address: write the address alone (${value.slice(7)})`;
  const wideAt = /[\uFF20\uFE6B]/.exec(value);
  if (wideAt && !value.includes('@')) return `"${value}" holds a wide "${wideAt[0]}" (${codePointName(wideAt[0])}) where "@" should be, as a Chinese or Japanese keyboard types it: type "@"`;
  const at = value.lastIndexOf('@');
  if (at <= 0 || at === value.length - 1 || value.indexOf('@') !== at) return `"${value}" is not an e-mail address`;
  const local = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (/[^\x00-\x7f]/.test(local)) {
    return `"${value}" has letters outside ASCII before the @; sending to it needs SMTPUTF8, which lettermerge does not use: ask for an ASCII address`;
  }
  if (!LOCAL.test(local) || local.startsWith('.') || local.endsWith('.') || local.includes('..') || local.length > 64) {
    return `"${value}" is not an e-mail address (the part before the @ is not valid)`;
  }
  const mixed = mixedScriptLabel(domain);
  if (mixed) return `"${value}" is not an e-mail address: its domain mixes ${mixed.scripts.join(' and ')} letters in "${mixed.label}" (${mixed.foreign}), as a keyboard switched to another language types them: retype it`;
  const ascii = domainToASCII(domain);
  const labels = ascii.split('.');
  if (!ascii || labels.length < 2 || !labels.every((l) => DOMAIN_LABEL.test(l)) || ascii.length > 253) {
    return `"${value}" is not an e-mail address (the domain "${domain}" is not valid)`;
  }
  // No top-level domain is a number: "1.2.3.4" is a machine's number, not its name.
  if (/^\d+$/.test(labels[labels.length - 1])) return `"${value}" is not an e-mail address (the domain "${domain}" is a number, not a name)`;
  return undefined;
}

const LOOK_ALIKE_SCRIPTS = [
  ['Latin', /\p{Script=Latin}/u],
  ['Cyrillic', /\p{Script=Cyrillic}/u],
  ['Greek', /\p{Script=Greek}/u],
] as const;

/**
 * A part of a domain with letters of two of the Latin, Cyrillic and Greek scripts, which look
 * alike ("pаypal.com" with a Cyrillic "а"). No registry gives out such a name: it was typed with
 * the keyboard in another language, and the message would go nowhere, or to someone else.
 */
function mixedScriptLabel(domain: string): { label: string; scripts: string[]; foreign: string } | undefined {
  for (const label of domain.split('.')) {
    const scripts = LOOK_ALIKE_SCRIPTS.filter(([, re]) => re.test(label));
    if (scripts.length < 2) continue;
    // The letters of the script with fewer of them in the part: most likely the ones mistyped.
    const letters = scripts.map(([name, re]) => ({ name, chars: [...label].filter((c) => re.test(c)) })).sort((a, b) => a.chars.length - b.chars.length);
    const foreign = [...new Set(letters[0].chars)].map((c) => `"${c}" is ${letters[0].name}`).join(', ');
    return { label, scripts: scripts.map(([name]) => name), foreign };
  }
  return undefined;
}

export function isEmailAddress(value: string): boolean {
  return addressProblem(value) === undefined;
}

/** The address with its domain in ASCII (xn--… for a domain in another script); assumes a valid address. */
export function asciiAddress(value: string): string {
  const at = value.lastIndexOf('@');
  return `${value.slice(0, at)}@${domainToASCII(value.slice(at + 1)).toLowerCase()}`;
}

export interface Mailbox {
  name: string;
  address: string;
}

/**
 * Reads "Name <address>" or a bare address (what campaign.yaml's email.from holds): exactly one
 * mailbox, through nodemailer's address parser. Returns the problem as text when it is not one.
 */
export function parseMailbox(value: string): Mailbox | string {
  if (/[\u0000-\u001f\u007f-\u009f]/.test(value)) return 'it holds a line break or other control character';
  const parsed = addressparser(value, { flatten: false }) as { name: string; address?: string; group?: unknown[] }[];
  if (parsed.length !== 1 || parsed[0].group) return `"${value}" is not one mailbox: write "Name <address>" or an address`;
  const { name, address } = parsed[0];
  if (!address) return `"${value}" holds no e-mail address: write "Name <address>" or an address`;
  const problem = addressProblem(address);
  if (problem) return problem;
  // "Fund <a@b.org> extra" parses, with the words after the address moved into the name: refuse it.
  const written = value.trim();
  if (!(written === address || written.endsWith(`<${address}>`))) return `"${value}" has text after the address: write "Name <address>"`;
  return { name, address };
}

/** The addresses of a message header's mailboxes ("A <a@x.org>, b@y.org": a@x.org, b@y.org), groups flattened. */
export function mailboxesIn(header: string): string[] {
  return (addressparser(header, { flatten: true }) as { address?: string }[]).map((m) => m.address ?? '').filter(Boolean);
}

/**
 * Splits a list of addresses at ";", "," and line breaks outside quotes and angle brackets:
 * "Doe, Jane" <jane@example.org>; archive@example.org is two.
 */
export function splitAddressList(value: string): string[] {
  const parts: string[] = [];
  let cur = '';
  let quoted = false;
  let angle = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (quoted && ch === '\\') {
      cur += ch + (value[i + 1] ?? '');
      i++;
      continue;
    }
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '<') angle++;
    else if (!quoted && ch === '>') angle = Math.max(0, angle - 1);
    if (!quoted && angle === 0 && (ch === ';' || ch === ',' || ch === '\n' || ch === '\r')) {
      parts.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter(Boolean);
}

/** A list of mailboxes (see splitAddressList), each checked as parseMailbox checks one; or what is wrong. */
export function parseMailboxList(value: string): Mailbox[] | string {
  const boxes: Mailbox[] = [];
  for (const part of splitAddressList(value)) {
    const box = parseMailbox(part);
    if (typeof box === 'string') return /\s\S+@/.test(part) && !part.includes('<') ? `"${part}" holds more than one address: separate them with ";" or ","` : box;
    boxes.push(box);
  }
  return boxes;
}
