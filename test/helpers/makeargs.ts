// A port of how iproute2 reads `ip -batch` input (lib/utils.c getcmdline and makeargs), on
// bytes as C does: a line ends at '\n' and, as a C string, at its first NUL; from the first '#'
// on is a comment; "\\\n" joins the next line; words split at " \t\r\n"; a word starting with a
// quote runs to the next same quote, without escapes; an unterminated one is an error.

const WS = new Set([0x20, 0x09, 0x0d, 0x0a]);

/** The argv of each command of a batch text, as iproute2 reads it (byte strings as Buffers); throws like ip exits. */
export function readBatch(input: Buffer): Buffer[][] {
  const lines: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < input.length; i++) {
    if (input[i] === 0x0a) {
      lines.push(input.subarray(start, i + 1));
      start = i + 1;
    }
  }
  if (start < input.length) lines.push(input.subarray(start));
  const cstr = (b: Buffer): Buffer => {
    const nul = b.indexOf(0);
    return nul < 0 ? b : b.subarray(0, nul);
  };
  const uncomment = (b: Buffer): Buffer => {
    const hash = b.indexOf(0x23);
    return hash < 0 ? b : b.subarray(0, hash);
  };
  const out: Buffer[][] = [];
  for (let li = 0; li < lines.length; li++) {
    let line = uncomment(cstr(lines[li]!));
    // getcmdline: while the line holds "\\\n", cut there and append the next line (uncommented).
    for (;;) {
      const cont = line.indexOf('\\\n');
      if (cont < 0) break;
      li++;
      if (li >= lines.length) throw new Error('Missing continuation line');
      line = Buffer.concat([line.subarray(0, cont), uncomment(cstr(lines[li]!))]);
    }
    out.push(makeargs(line));
  }
  return out;
}

function makeargs(line: Buffer): Buffer[] {
  const argv: Buffer[] = [];
  let cp = 0;
  while (cp < line.length) {
    while (cp < line.length && WS.has(line[cp]!)) cp++;
    if (cp >= line.length) break;
    const c = line[cp]!;
    if (c === 0x27 || c === 0x22) {
      const end = line.indexOf(c, cp + 1);
      if (end < 0) throw new Error('Unterminated quoted string');
      argv.push(line.subarray(cp + 1, end));
      cp = end + 1;
    } else {
      let end = cp;
      while (end < line.length && !WS.has(line[end]!)) end++;
      argv.push(line.subarray(cp, end));
      cp = end + 1;
    }
  }
  return argv;
}
