/** Time is an input: services take a Clock so tests can pin "now". */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

export function fixedClock(at: string | Date): Clock {
  const d = new Date(at);
  return () => new Date(d.getTime());
}
