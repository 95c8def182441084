import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestReceiver } from '../support/receiver';
import { startTestService, type TestService } from '../support/local-service';

interface MetricsBody {
  source: string;
  from: string;
  to: string;
  widgets: {
    id: string;
    row: number;
    available: boolean;
    series: { label: string; points: { t: string; v: number }[] }[];
  }[];
}

const DUE_AT = '2027-06-15T09:00:00.000Z'; // 09:00 in UTC on the birthday

describe('GET /v1/metrics under the local runtime', () => {
  let receiver: TestReceiver;
  let service: TestService;

  beforeAll(async () => {
    receiver = await new TestReceiver().start();
    service = await startTestService({ clockStart: '2027-06-15T08:00:00Z', webhookUrl: receiver.url });
    for (const firstName of ['Ada', 'Grace']) {
      const created = await service.api('POST', '/v1/users', {
        firstName,
        lastName: 'Doe',
        birthday: '1990-06-15',
        timezone: 'UTC',
      });
      expect(created.status).toBe(201);
    }
    // The jump runs the pass the timer would (a tick as well would be a second, overlapping pass).
    await service.setClock('2027-06-15T09:00:30Z');
    expect((await service.drain()).delivered).toBe(2);
  });

  afterAll(async () => {
    await service.stop({ removeData: true });
    await receiver.stop();
  });

  const metrics = async (query = ''): Promise<MetricsBody> => {
    const { status, body } = await service.api('GET', `/v1/metrics${query}`);
    expect(status).toBe(200);
    return body as MetricsBody;
  };

  it('answers every dashboard widget in order, with the notifications just delivered in the flow widget', async () => {
    const body = await metrics('?minutes=30');
    expect(body.source).toBe('local');
    expect(Date.parse(body.to) - Date.parse(body.from)).toBe(30 * 60_000);
    expect(body.widgets.map((widget) => widget.id).slice(0, 3)).toEqual(['flow', 'lateness', 'failures']);
    const flow = body.widgets.find((widget) => widget.id === 'flow');
    expect(flow?.series).toEqual([
      { label: 'Due', points: [{ t: DUE_AT, v: 2 }] },
      { label: 'Enqueued', points: [{ t: DUE_AT, v: 2 }] },
      { label: 'Delivered', points: [{ t: DUE_AT, v: 2 }] },
      { label: 'Failed', points: [] },
    ]);
    const lateness = body.widgets.find((widget) => widget.id === 'lateness');
    expect(lateness?.series[0]?.points[0]?.v).toBeGreaterThanOrEqual(30_000); // sent at 09:00:30
  });

  it('shows queue depths as the local SQS server reports them, and no Lambda figures locally', async () => {
    const body = await metrics();
    const byId = new Map(body.widgets.map((widget) => [widget.id, widget]));
    expect(byId.get('dlq')?.available).toBe(true);
    const dlqPoints = byId.get('dlq')?.series[0]?.points ?? [];
    expect(dlqPoints.length).toBeGreaterThan(0); // sampled after the pass and at this read
    expect(dlqPoints.every((point) => point.v === 0)).toBe(true);
    expect(byId.get('lambda-errors')).toMatchObject({ available: false, series: [] });
    expect(byId.get('api-latency')).toMatchObject({ available: false, series: [] });
  });

  it('refuses a window outside 5..1440 minutes with a problem naming the field, and an unknown parameter', async () => {
    for (const query of ['?minutes=1', '?minutes=2000', '?minutes=abc', '?window=5']) {
      const { status, body } = await service.api('GET', `/v1/metrics${query}`);
      expect(status, query).toBe(400);
      expect(JSON.stringify(body), query).toMatch(/minutes|window/);
    }
  });
});
