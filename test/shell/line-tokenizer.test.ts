import test from 'ava';
import { ShellLineError, shellLineToRequest, tokenizeShellLine } from '../../src/shell/line-tokenizer.js';
import { RespParser } from '../../src/protocol/resp-parser.js';

test('the lab example: quoted words become separate bulk strings (*4)', (t) => {
  t.deepEqual(tokenizeShellLine('SET CS06142 "Cloud Computing"'), ['SET', 'CS06142', 'Cloud', 'Computing']);
  t.is(
    shellLineToRequest('SET CS06142 "Cloud Computing"')?.toString('latin1'),
    '*4\r\n$3\r\nSET\r\n$7\r\nCS06142\r\n$5\r\nCloud\r\n$9\r\nComputing\r\n',
  );
});

test('the lab myshell session: SET 1 "Hello", GET 1, DEL 1', (t) => {
  t.is(shellLineToRequest('SET 1 "Hello"')?.toString('latin1'), '*3\r\n$3\r\nSET\r\n$1\r\n1\r\n$5\r\nHello\r\n');
  t.is(shellLineToRequest('GET 1')?.toString('latin1'), '*2\r\n$3\r\nGET\r\n$1\r\n1\r\n');
  t.is(shellLineToRequest('DEL 1')?.toString('latin1'), '*2\r\n$3\r\nDEL\r\n$1\r\n1\r\n');
});

test('blanks: runs of spaces and tabs, leading/trailing blanks, CR from a pasted line', (t) => {
  t.deepEqual(tokenizeShellLine('  SET\tk   v1 \t v2  \r'), ['SET', 'k', 'v1', 'v2']);
  t.deepEqual(tokenizeShellLine('SET k "  a  b  "'), ['SET', 'k', 'a', 'b']);
});

test('quotes are removed wherever they are; they never group', (t) => {
  t.deepEqual(tokenizeShellLine('SET k a"b c"d'), ['SET', 'k', 'a', 'b', 'c', 'd']);
  t.deepEqual(tokenizeShellLine('SET "k" ""'), ['SET', 'k']);
  t.deepEqual(tokenizeShellLine("SET k 'it is'"), ['SET', 'k', "'it", "is'"]);
  t.deepEqual(tokenizeShellLine('SET k a\\nb'), ['SET', 'k', 'a\\nb']);
});

test('blank lines give no words and no request', (t) => {
  t.deepEqual(tokenizeShellLine(''), []);
  t.deepEqual(tokenizeShellLine(' \t '), []);
  t.is(shellLineToRequest('   '), null);
  t.is(shellLineToRequest('""'), null);
});

test('an odd number of double quotes is UNTERMINATED_QUOTE and nothing is sent', (t) => {
  const err = t.throws(() => shellLineToRequest('SET k "Cloud Computing'), { instanceOf: ShellLineError });
  t.is(err?.code, 'UNTERMINATED_QUOTE');
  t.throws(() => tokenizeShellLine('"a" "'), { instanceOf: ShellLineError });
});

test('non-ASCII words are sent as UTF-8 with byte lengths, and the server parser reads them back', (t) => {
  const req = shellLineToRequest('SET 课程 "云 计算"');
  t.truthy(req);
  const [cmd] = [...new RespParser().feed(req!)];
  t.is(cmd?.name, 'SET');
  t.deepEqual(cmd?.args.map((a) => a.toString('utf8')), ['课程', '云', '计算']);
  t.true(req!.toString('latin1').includes('$6\r\n'));
});
