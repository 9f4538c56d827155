// The reporter names the CLI accepts, apart from the reporters themselves so that parsing
// flags does not load them.
export const REPORTERS = ['console', 'json', 'junit'] as const;
