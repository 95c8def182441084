// The API's answers as the console reads them: the types it shares with the CLI.
export * from '../../../functions/api/answer-types';
