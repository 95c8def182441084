import { z } from 'zod';
import { instantQuery } from './common.schema';

/** The longest window one request may read: a day of one-minute points per series. */
export const MAX_METRICS_MINUTES = 24 * 60;
export const DEFAULT_METRICS_MINUTES = 60;

export const MetricsQuerySchema = z
  .object({
    minutes: z
      .string()
      .regex(/^\d{1,4}$/, { error: 'minutes must be a whole number' })
      .transform(Number)
      .refine((minutes) => minutes >= 5 && minutes <= MAX_METRICS_MINUTES, {
        error: `minutes must be between 5 and ${MAX_METRICS_MINUTES}`,
      })
      .optional()
      .meta({
        description: `Window length in minutes, 5..${MAX_METRICS_MINUTES}; ${DEFAULT_METRICS_MINUTES} when absent.`,
      }),
    to: instantQuery('to').optional().meta({ description: 'End of the window (ISO-8601); default: now.' }),
  })
  .strict();

const PointSchema = z
  .object({
    t: z.iso.datetime().meta({ description: 'Start of the period.' }),
    v: z.number().meta({ description: 'The statistic over the period.' }),
  })
  .strict();

export const MetricsSchema = z
  .object({
    from: z.iso.datetime(),
    to: z.iso.datetime(),
    source: z.enum(['local', 'cloudwatch']).meta({
      description:
        '`cloudwatch` in AWS; `local` under `npm start` (recorded in the process, since its start).',
    }),
    widgets: z.array(
      z
        .object({
          id: z.string().meta({ description: 'Stable widget key, as on the CloudWatch dashboard.' }),
          title: z.string(),
          unit: z.string().optional(),
          period: z.number().int().meta({ description: 'Seconds per point.' }),
          width: z.number().int().min(1).max(24).meta({ description: 'Grid units of 24 per row.' }),
          row: z.number().int().min(0).meta({ description: 'Dashboard row, top first.' }),
          available: z.boolean().meta({
            description:
              'False when this source cannot measure the widget (Lambda and API Gateway metrics locally).',
          }),
          series: z.array(z.object({ label: z.string(), points: z.array(PointSchema) }).strict()),
        })
        .strict(),
    ),
  })
  .strict();
