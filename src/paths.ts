import path from 'node:path';

/** The package's own folder (this file compiles to dist/paths.js, and runs from src/ under ts-jest). */
export const PACKAGE_ROOT = path.resolve(__dirname, '..');

/** The campaign used when --campaign is not given: the bundled sample. */
export const DEFAULT_CAMPAIGN = path.join(PACKAGE_ROOT, 'templates', 'wsis-trust-fund-2022');
