import { formatTable, runChaos, SHORT } from '../../bench/chaos/harness';

/**
 * The chaos harness's short mode (bench/chaos; `npm run chaos` runs the full one). Three real
 * Fencun processes (src/main.ts) on a private mariadbd of the test's own — whatever
 * FENCUN_TEST_DB says — the simulator delivering a few hundred callbacks round-robin with
 * duplicates, shuffled bursts, lost acknowledgements and WeCom's resends, while outbox sends go
 * out; faults on a schedule: kill -9 of the instance holding a send WeCom answers late (and
 * restart), MariaDB SIGKILLed and restarted, access tokens expired, 45009 and -1 storms, WeCom
 * answering after the client's timeout.
 * Invariant: after the drain, every acknowledged event was processed exactly once (one audit row,
 * its message stored, each relation in the state WeCom ends with), every intended send was
 * delivered once or recorded as not sent with its reason, no job slot ran twice, no lease is stuck.
 */
describe('chaos, short mode', () => {
  it('should lose nothing and double nothing under kill -9, a MariaDB crash, storms and late answers', async () => {
    const lines: string[] = [];
    const r = await runChaos({ ...SHORT, log: (l) => lines.push(l) });
    process.stdout.write(`${formatTable(r)}\n`);

    expect(r.problems).toEqual([]);
    expect({ lost: r.lost, doubled: r.doubled, misrecorded: r.misrecorded, stuck: r.stuck }).toEqual({ lost: 0, doubled: 0, misrecorded: 0, stuck: 0 });
    // The attack happened: callbacks flowed and were stored, sends settled, the faults struck.
    expect(r.callbacks).toBe(SHORT.callbacks);
    expect(r.eventsStored).toBeGreaterThanOrEqual(r.callbacks - r.unacknowledged);
    expect(r.copies).toBeGreaterThan(0);
    expect(r.faultsTotal).toBeGreaterThanOrEqual(4);
    expect((r.faults['kill -9 mid-send'] ?? 0) + (r.faults['kill -9'] ?? 0)).toBeGreaterThanOrEqual(1);
    expect(r.faults['MariaDB crash + restart']).toBe(1);
  }, 175_000);
});
