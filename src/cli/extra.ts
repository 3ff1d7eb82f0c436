import type { Command } from 'commander';
import { registerChurnCommand } from './churn';
import { registerDataCommands } from './data';
import { registerSimulatorCommand } from './simulator';

/** Commands contributed by capabilities (simulator, imports). */
export function registerExtraCommands(program: Command): void {
  registerSimulatorCommand(program);
  registerDataCommands(program);
  registerChurnCommand(program);
}
