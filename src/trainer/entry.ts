// dist/trainer.js, the one Node bundle the extension runs besides its own: forked by the extension
// host with no arguments, it is the trainer (./main); given arguments, it is the den-lab command line
// (../cli/main), which the extension runs for sweeps (`node dist/trainer.js sweep … --json`) and
// whose points run the same file again (`… train --into …`). One copy of TensorFlow.js in the .vsix
// instead of two (dist/cli.js, the same CLI for the npm package's `den-lab`, is not packaged).
if (process.argv.length > 2) void import('../cli/main');
else void import('./main');
