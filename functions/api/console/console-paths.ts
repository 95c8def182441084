/*
 * Where the operations console lives, with no dependency: the local gateway stand-in imports this
 * to let the console through without a key (the deployed API Gateway must do the same: no
 * authorizer on GET /console and /console/{asset}), and the build script to name the assets.
 */

/** The console page; `/console/` is the same page. */
export const CONSOLE_PATH = '/console';

/**
 * In the generated HTML, stands for the way from the page to its assets: `console/` when the page
 * was asked for as `/console`, nothing for `/console/` (relative URLs keep any stage prefix).
 */
export const ASSET_BASE_TOKEN = '{{assetBase}}';

/** The asset file names of a build: the content hash busts caches, so the assets may be cached forever. */
export const consoleAssetNames = (hash: string): { js: string; css: string } => ({
  js: `app.${hash}.js`,
  css: `app.${hash}.css`,
});

/** Whether a GET of this path is the console or one of its assets (public: they hold no secret). */
export function isConsolePath(path: string): boolean {
  return path === CONSOLE_PATH || path.startsWith(`${CONSOLE_PATH}/`);
}
