import type { Command } from 'commander';

/** Commands contributed by capabilities (simulator, imports); each adds its registration here. */
export function registerExtraCommands(_program: Command): void {}
