import { generateSeed } from '../../../src/wecom-simulator/seed';
it('t', () => { let t = Date.now(); generateSeed({ seed: 5, reps: 500, customers: 100_000 }); console.log('gen', Date.now() - t); });
