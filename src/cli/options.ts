import path from 'node:path';
import { InvalidArgumentError } from 'commander';
import { layerMappings, mappingProblem } from '../data/mapping';
import type { ListMapping } from '../data/mapping';
import { USER_PATH_PROBLEMS, userPath, userPathProblem } from '../files';

/** A path on the command line (see userPath and userPathProblem): ~/ is the home folder; one of only spaces is refused. */
export function pathOption(name: string) {
  return (value: string): string => {
    const problem = userPathProblem(value);
    if (problem) throw new InvalidArgumentError(`${name} ${USER_PATH_PROBLEMS[problem]}.`);
    return userPath(value);
  };
}

export function positiveInt(name: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
      throw new InvalidArgumentError(`${name} takes a whole number of 1 or more.`);
    }
    return Number(value);
  };
}

/** A number above 0, in any way JavaScript writes one (0.5, 2, 1e3). */
export function positiveNumber(name: string) {
  return (value: string): number => {
    const n = Number(value.trim());
    if (value.trim() === '' || !Number.isFinite(n) || !(n > 0)) throw new InvalidArgumentError(`${name} takes a number above 0 (e.g. 0.5, 2 or 1e3).`);
    return n;
  };
}

export function parseShard(value: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(value);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) throw new InvalidArgumentError('write the shard as K/N with 1 ≤ K ≤ N, e.g. 2/3.');
  return { index, count };
}

/** The command line again, quoted for a POSIX shell, with `extra` added if it is not there. */
export function commandLine(argv: string[], extra?: string): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  const args = extra && !argv.includes(extra) ? [...argv, extra] : argv;
  return ['lettermerge', ...args.map(quote)].join(' ');
}

/**
 * One --map FIELD=HEADER (repeatable): the column a field is read from, over the campaign's and
 * the config file's columns:. The header may hold "=" and spaces; quote it for the shell.
 */
export function mapOption(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const m = /^\s*([A-Za-z_]+)\s*=(.*)$/s.exec(value);
  if (!m || m[2].trim() === '') throw new InvalidArgumentError(`write it as FIELD="Column header", e.g. --map email="Correo electrónico".`);
  const mapping = { ...previous, [m[1].trim()]: m[2].trim() };
  const problem = mappingProblem({ columns: mapping });
  if (problem) throw new InvalidArgumentError(`${problem.message}${/[.?]$/.test(problem.message) ? '' : '.'}${problem.hint ? ` ${problem.hint}` : ''}`);
  return mapping;
}

/**
 * The languages a run makes (--lang, else lang: in the config file), and where they came from, to
 * name it where the run says what it left out ("--lang", "lang in lettermerge.config.yaml").
 */
export function runLanguages(flag: string | undefined, config: { lang?: string | string[]; file: string } | undefined): { languages?: string[]; from?: string } {
  if (flag !== undefined) return { languages: [flag], from: '--lang' };
  if (config?.lang === undefined) return {};
  return { languages: Array.isArray(config.lang) ? config.lang : [config.lang], from: `lang in ${path.relative(process.cwd(), config.file) || config.file}` };
}

/** The mapping a run reads its list with: the config file's columns: and values:, then --map. (The campaign's are under both.) */
export function runMapping(config: { columns?: Record<string, string>; values?: ListMapping['values'] } | undefined, map: Record<string, string> | undefined): ListMapping {
  return layerMappings({ columns: config?.columns, values: config?.values }, { columns: map });
}
