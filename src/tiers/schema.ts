import { z } from 'zod';

/** Shape of config/tiers.json. Messages say what a valid value looks like: operators read them. */

const points = z.number({ error: 'must be whole points such as 10 (negative allowed)' }).int('must be whole points such as 10');
const days = z.number({ error: 'must be a number of days such as 90' }).int('must be whole days such as 90').positive('must be at least 1 day');

const atLeastBand = z.strictObject({
  atLeast: z.number({ error: 'must be a number such as 3' }).min(0, 'must be 0 or more'),
  points,
});
const withinBand = z.strictObject({ withinDays: days, points });

// Bands are checked highest threshold first (atLeast) or nearest first (withinDays).
const atLeastBands = z.array(atLeastBand).transform((b) => [...b].sort((x, y) => y.atLeast - x.atLeast));
const withinBands = z.array(withinBand).transform((b) => [...b].sort((x, y) => x.withinDays - y.withinDays));

const tierId = z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be a lower-case id such as core or key_account');

const tier = z.strictObject({
  id: tierId,
  label: z.string({ error: 'must be the Chinese label shown to reps, e.g. 核心' }).min(1, 'must not be empty, e.g. 核心'),
  minScore: z.number({ error: 'must be the lowest score of the tier, e.g. 70' }),
});

const norm = z.strictObject({ purchaseDays: days, contactDays: days });
const ratio = z.number({ error: 'must be a multiple of the tier norm such as 1.5' }).positive('must be greater than 0, e.g. 1.5');

export const TiersConfigSchema = z
  .strictObject({
    $comment: z.string().optional(),
    tiers: z
      .array(tier)
      .min(1, 'must list at least one tier, e.g. [{"id":"core","label":"核心","minScore":70}]')
      .refine((t) => new Set(t.map((x) => x.id)).size === t.length, 'must not repeat a tier id')
      .refine(
        (t) => t.every((x, i) => i === 0 || t[i - 1].minScore > x.minScore),
        'must be ordered from the highest minScore to the lowest, e.g. core 70, key 45, regular 20, potential 0',
      ),
    recency: withinBands,
    frequency: z.strictObject({ windowDays: days, bands: atLeastBands }),
    monetary: z.strictObject({ windowDays: days, bands: atLeastBands }),
    engagement: z.strictObject({
      windowDays: days,
      inbound: atLeastBands,
      replyRatio: z.strictObject({
        minTouches: z.number().int().min(1, 'must be at least 1 touch, e.g. 3'),
        bands: atLeastBands,
      }),
      contactRecency: withinBands,
    }),
    tags: z.record(z.string(), points),
    lifecycle: z.strictObject({
      newDays: days,
      atRiskRatio: ratio,
      dormantRatio: ratio,
      lostRatio: ratio,
      unansweredAtRisk: z.number().int().min(1, 'must be a count of touches such as 3'),
      frequencyDrop: z.strictObject({
        windowDays: days,
        minPrevious: z.number().int().min(1, 'must be a count of orders such as 2'),
        ratio: z.number().min(0).max(1, 'must be a fraction between 0 and 1, e.g. 0.5'),
      }),
      norms: z.record(tierId, norm),
      /** How long a complaint that ended in a refund or unresolved keeps the customer at risk (unless they buy again). */
      complaintAftermathDays: z.number().int().min(0, 'must be 0 or more days, e.g. 60').default(60),
    }),
  })
  .superRefine((c, ctx) => {
    for (const t of c.tiers) {
      if (!c.lifecycle.norms[t.id]) {
        ctx.addIssue({
          code: 'custom',
          path: ['lifecycle', 'norms', t.id],
          message: `is missing: every tier needs norms, e.g. {"purchaseDays":60,"contactDays":30}`,
        });
      }
    }
    const l = c.lifecycle;
    if (!(l.atRiskRatio < l.dormantRatio && l.dormantRatio < l.lostRatio)) {
      ctx.addIssue({
        code: 'custom',
        path: ['lifecycle', 'atRiskRatio'],
        message: 'must satisfy atRiskRatio < dormantRatio < lostRatio, e.g. 1.5 < 3 < 8',
      });
    }
  });

export type TiersConfig = z.infer<typeof TiersConfigSchema>;
export type TierDefinition = TiersConfig['tiers'][number];
