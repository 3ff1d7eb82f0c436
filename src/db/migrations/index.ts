import { Foundation1764000000001 } from './1764000000001-foundation';

/** Every migration, oldest first. Add new ones at the end; never edit one that has shipped. */
export const migrations = [Foundation1764000000001];
