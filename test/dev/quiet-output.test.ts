/** `npm test` prints nothing a user could take for a problem with this project. */
import { KafkaClient } from '@aws-sdk/client-kafka';

describe('test output', () => {
  it("has no AWS SDK notice about Node versions when a test creates an SDK client", () => {
    const warnings: string[] = [];
    const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation((warning: string | Error) => {
      warnings.push(String(warning));
    });
    try {
      const client = new KafkaClient({ region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
      client.destroy();
    } finally {
      emitWarning.mockRestore();
    }
    expect(warnings.filter((w) => w.includes('NodeVersionSupportWarning'))).toEqual([]);
  });
});
