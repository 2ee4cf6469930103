// Which engine errors are expected outcomes with a message that says what to do, as opposed to
// bugs: the CLI and the trainer process show these without a stack trace.

/** Bad input: the experiment file, its data, a run or checkpoint folder, an unavailable backend, a sweep's grid. */
const INPUT_ERRORS = ['ExperimentError', 'DataError', 'RunError', 'CheckpointError', 'BackendError', 'SweepError'];

export const isInputError = (err: { name?: string }): boolean => INPUT_ERRORS.includes(err.name ?? '');

/** Bad input, or a training that failed for a stated reason (the loss became NaN). */
export const isExplainedFailure = (err: { name?: string }): boolean => isInputError(err) || err.name === 'NanLossError';
