import type { Command } from 'commander';
import type { Config } from '../../config';
import type { Io } from '../io';

/** What every command module gets: the I/O, the raw arguments, and where to put the exit status. */
export interface Context {
  io: Io;
  argv: string[];
  /** The exit status the command decided; run() returns it. */
  status: number;
  /** Whether --debug was given: stack traces and internal details are shown. */
  debug: () => boolean;
  /** The settings of the config file (--config, or lettermerge.config.yaml here), read once; none without one. */
  config: () => Config | undefined;
}

export type Register = (program: Command, ctx: Context) => void;
