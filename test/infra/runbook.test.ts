import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/constructs/bundling';
import { handlerExists } from '../../lib/constructs/service-function';
import { DASHBOARD_WIDGETS } from '../../functions/commons/dashboard-widgets';
import { alarmsOf, synth } from './support';

/**
 * Alarms of functions whose handler has not landed yet: their runbook sections may exist before
 * the alarms do, and only as long as the handler file is missing.
 */
const PENDING_HANDLER_ALARMS: Readonly<Record<string, readonly string[]>> = {};

interface Section {
  readonly id: string;
  readonly body: string;
}

/** The `### <AlarmId>` sections under `## Alarms`. */
function runbookSections(markdown: string): Section[] {
  const alarmsPart = markdown.split(/^## Alarms$/m)[1];
  if (alarmsPart === undefined) throw new Error('docs/runbook.md has no "## Alarms" part');
  return alarmsPart
    .split(/^### /m)
    .slice(1)
    .map((chunk) => {
      const [heading = '', ...rest] = chunk.split('\n');
      return { id: heading.trim(), body: rest.join('\n') };
    });
}

describe('docs/runbook.md against the synthesized alarms', () => {
  let alarms: Map<string, { id: string; severity: string; description: string }>;
  let sections: Section[];
  beforeAll(() => {
    const s = synth();
    alarms = new Map(
      [...alarmsOf(s)].map(([name, props]) => {
        const [, severity = '', id = ''] = /^Occasions-dev-(critical|warning)-(\w+)$/.exec(name) ?? [];
        return [id, { id, severity, description: String(props.AlarmDescription) }];
      }),
    );
    sections = runbookSections(readFileSync(join(PROJECT_ROOT, 'docs', 'runbook.md'), 'utf8'));
  });

  it('gives every alarm in the template a section, linked from the alarm description', () => {
    const ids = new Set(sections.map((section) => section.id));
    for (const alarm of alarms.values()) {
      expect(ids.has(alarm.id), `runbook section for ${alarm.id}`).toBe(true);
      expect(alarm.description).toContain(`docs/runbook.md#${alarm.id.toLowerCase()}`);
    }
  });

  it('has a section only for alarms that exist (or whose handler has not landed yet)', () => {
    const pending = Object.entries(PENDING_HANDLER_ALARMS).flatMap(([entry, ids]) =>
      handlerExists(entry) ? [] : ids,
    );
    for (const { id } of sections) {
      expect(alarms.has(id) || pending.includes(id), `alarm for runbook section ${id}`).toBe(true);
    }
    expect(new Set(sections.map((section) => section.id)).size).toBe(sections.length);
  });

  it('says in each section the severity, what it means, how to confirm, what to do and how it recovers', () => {
    const widgetTitles = DASHBOARD_WIDGETS.flat().map((widget) => widget.title);
    for (const { id, body } of sections) {
      const severity = /^\*\*Severity:\*\* (critical|warning)$/m.exec(body)?.[1];
      expect(severity, id).toBeDefined();
      if (alarms.has(id)) expect(severity, id).toBe(alarms.get(id)!.severity);
      for (const part of ['**Means:**', '**Confirm:**', '**Act:**', '**Recovered when:**']) {
        expect(body, `${id} ${part}`).toContain(part);
      }
      // The dashboard widget to look at, by its title (or the start of it).
      const widgets = [...body.matchAll(/_([^_]+)_/g)].map((match) => match[1]!);
      expect(
        widgets.some((name) => widgetTitles.some((title) => title.startsWith(name.replace(/…$/, '')))),
        `${id} names a dashboard widget`,
      ).toBe(true);
      // A Logs Insights query or a command ready to paste.
      expect(body, id).toMatch(/```/);
    }
  });

  it('links only to sections that exist', () => {
    const markdown = readFileSync(join(PROJECT_ROOT, 'docs', 'runbook.md'), 'utf8');
    const anchors = new Set(sections.map((section) => section.id.toLowerCase()));
    for (const [, anchor] of markdown.matchAll(/\]\(#([a-z0-9-]+)\)/g)) {
      expect(anchors.has(anchor!), anchor).toBe(true);
    }
  });
});
