import type { Command } from 'commander';
import { registerDataCommands } from './data';
import { registerSimulatorCommand } from './simulator';

/** Commands contributed by capabilities (simulator, imports). */
export function registerExtraCommands(program: Command): void {
  registerSimulatorCommand(program);
  registerDataCommands(program);
}
