// The driver names the CLI accepts, apart from the drivers themselves so that parsing flags
// does not load them.
export const DRIVERS = ['process', 'docker', 'external'] as const;
