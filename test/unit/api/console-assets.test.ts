import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONSOLE_HTML, CONSOLE_JS } from '#api/console/console-assets.generated';
import { buildConsoleAssets, GENERATED_FILE, renderGeneratedModule } from '../../../scripts/build-console';

describe('the console assets served by the API', () => {
  it('given console/, then the committed generated file is what npm run build:console writes (run it when this fails)', async () => {
    const rebuilt = renderGeneratedModule(await buildConsoleAssets());
    expect(readFileSync(GENERATED_FILE, 'utf8') === rebuilt, 'console-assets.generated.ts is stale').toBe(
      true,
    );
  });

  it('given the page, then it has no inline script or style, which the strict CSP would block', () => {
    expect(CONSOLE_HTML).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(CONSOLE_HTML).not.toMatch(/<style/);
    expect(CONSOLE_HTML).not.toMatch(/\sstyle=/);
    expect(CONSOLE_HTML).not.toMatch(/https?:\/\//);
  });

  it('given the bundle, then the key is never put in localStorage, a cookie or a URL query', () => {
    expect(CONSOLE_JS).not.toContain('localStorage');
    expect(CONSOLE_JS).not.toContain('document.cookie');
    expect(CONSOLE_JS).not.toMatch(/[?&]api[-_]?key=/i);
  });
});
