// Runs the CLI from source (tests run it through tsx so they need no build step).
import { main } from './main.js';

main(process.argv).then((code) => {
  process.exitCode = code;
});
