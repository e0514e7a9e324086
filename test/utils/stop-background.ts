import { stopAllLoops } from './background';

// Registered for the faults project (jest.config.js, setupFilesAfterEnv).
afterEach(async () => {
  await stopAllLoops();
});
