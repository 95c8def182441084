import { describe, expect, it } from 'vitest';
import { md5Hex, md5OfMessageAttributes } from '#local/sqs/md5';

// Expected digests are those AWS returns for these attributes (the published examples of the
// "Calculating the MD5 message digest for message attributes" algorithm, reproduced by the
// aws-md5-of-message-attributes package), so they pin the algorithm, not our implementation.
const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

describe('the SQS MD5 digests', () => {
  it('given a body, when digested, then it is the hex MD5 of its UTF-8 bytes', () => {
    expect(md5Hex('')).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(md5Hex('hello')).toBe('5d41402abc4b2a76b9719d911017c592');
  });

  it('given one String attribute, when digested, then it matches the AWS digest', () => {
    expect(
      md5OfMessageAttributes({ attribName1: { DataType: 'String', StringValue: 'attribValue 1' } }),
    ).toBe('19e27d4e946b072f3f58da80d94fd778');
  });

  it('given a custom Number type, when digested, then the custom label is hashed with transport type 1', () => {
    expect(
      md5OfMessageAttributes({
        customNumberTypeAttrib: {
          DataType: 'Number.float',
          StringValue: '4563442423554324324264524243.32543234',
        },
      }),
    ).toBe('9fe1b90bbd9965bdf77bac517c7d2495');
  });

  it('given a Binary attribute, when digested, then the raw bytes are hashed with transport type 2', () => {
    expect(
      md5OfMessageAttributes({
        binaryAttribute: { DataType: 'Binary', BinaryValue: base64('Hello binary world!') },
      }),
    ).toBe('31a92b15d92f8db860eda32aceb656c3');
  });

  it('given several attributes in any order, when digested, then they are hashed sorted by name', () => {
    expect(
      md5OfMessageAttributes({
        customNumberTypeAttrib: {
          DataType: 'Number.float',
          StringValue: '4563442423554324324264524243.32543234',
        },
        binaryAttribute: { DataType: 'Binary', BinaryValue: base64('Hello binary world!') },
        attribName1: { DataType: 'String', StringValue: 'attribValue 1' },
      }),
    ).toBe('c932db14a896c663f83c260297d594ff');
  });

  it('given no attributes, when digested, then there is no digest (AWS omits the field)', () => {
    expect(md5OfMessageAttributes(undefined)).toBeUndefined();
    expect(md5OfMessageAttributes({})).toBeUndefined();
  });
});
