// The reporter names the CLI accepts, apart from the reporters themselves so that parsing
// flags does not load them.
export const REPORTERS = ['console', 'json', 'junit', 'github'] as const;

/** Without --reporter: github's annotations only make sense on GitHub Actions, so it is asked for. */
export const DEFAULT_REPORTERS: ReadonlyArray<(typeof REPORTERS)[number]> = ['console', 'json', 'junit'];
