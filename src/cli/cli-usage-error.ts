/** A mistake in how a command was called: the CLI prints it with the command's help, exit 2. */
export class CliUsageError extends Error {
  override name = 'CliUsageError';
}
