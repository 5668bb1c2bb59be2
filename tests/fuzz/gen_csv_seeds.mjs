// gen_csv_seeds.mjs - writes the CSV seed corpora for fuzz_ratings, fuzz_items and fuzz_goodreads
// (tests/fuzz/corpus/ratings/, items/ and goodreads/): valid files in every shape bookrec accepts and
// every bad-input case the test suite knows (missing fields, non-numeric values, ratings out of range,
// ids <= 0 or absurdly long, empty file, header only, missing columns, BOM, CRLF, quoting errors, NUL
// bytes), plus the CSV fixtures under tests/fixtures/ when present (first 4 KB). Each ratings seed starts
// with fuzz_ratings' two option bytes, each items seed with fuzz_items' option byte, each Goodreads seed with
// fuzz_goodreads' option byte (bit 0: a books CSV, a NUL, then the export).
// Run by tools/fuzz.mjs; the output is committed so the corpus-replay tests work without it.
import { writeFileSync, mkdirSync, readdirSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OUT = process.argv[2] || path.join(HERE, 'corpus');
const R = path.join(OUT, 'ratings');
const I = path.join(OUT, 'items');
const G = path.join(OUT, 'goodreads');
mkdirSync(R, { recursive: true });
mkdirSync(I, { recursive: true });
mkdirSync(G, { recursive: true });

// option bytes of fuzz_ratings: f0 bit0 skip_bad, bit1 columns u/i/r, bit2 range 0.5..5,
// bit3 range from f1 nibbles, bit4 max_id_len 1..8 from f1, bit5 the catalogue fixture's columns
const put = (dir, name, prefix, text) =>
  writeFileSync(path.join(dir, name), Buffer.concat([Buffer.from(prefix), Buffer.from(text, 'binary')]));

const ratings = {
  'ok-goodbooks': 'book_id,user_id,rating\n1,314,5\n1,439,3\n2,314,4\n3,588,1\n',
  'ok-github-order': 'user_id,book_id,rating\n1,258,5\n2,4081,4\n2,260,5\n',
  'ok-crlf': 'book_id,user_id,rating\r\n1,2,3\r\n2,2,4\r\n',
  'ok-bom': '\xef\xbb\xbfbook_id,user_id,rating\n1,2,3\n2,3,4\n',
  'ok-no-final-newline': 'book_id,user_id,rating\n1,2,3\n2,3,4',
  'ok-duplicates': 'book_id,user_id,rating\n1,2,3\n1,2,5\n1,2,5\n2,2,1\n',
  'ok-extra-columns': 'x,book_id,y,user_id,rating,z\na,1,b,2,3,c\nd,2,e,3,4,f\n',
  'ok-quoted': 'book_id,user_id,rating\n"1","2","3"\n"2",3,4\n',
  'bad-empty': '',
  'bad-header-only': 'book_id,user_id,rating\n',
  'bad-missing-column': 'book_id,user_id\n1,2\n',
  'bad-missing-field': 'book_id,user_id,rating\n1,2\n',
  'bad-extra-field': 'book_id,user_id,rating\n1,2,3,4\n',
  'bad-non-numeric': 'book_id,user_id,rating\n1,2,five\n',
  'bad-non-numeric-id': 'book_id,user_id,rating\nabc,2,3\n',
  'bad-rating-high': 'book_id,user_id,rating\n1,2,6\n',
  'bad-rating-low': 'book_id,user_id,rating\n1,2,0\n',
  'bad-rating-nan': 'book_id,user_id,rating\n1,2,nan\n1,3,inf\n1,4,1e999\n',
  'bad-id-zero': 'book_id,user_id,rating\n0,2,3\n',
  'bad-id-negative': 'book_id,user_id,rating\n1,-2,3\n',
  'bad-id-huge': 'book_id,user_id,rating\n99999999999999999999999,2,3\n',
  'bad-id-long': `book_id,user_id,rating\n1,${'7'.repeat(200)},3\n`,
  'bad-blank-lines': 'book_id,user_id,rating\n\n1,2,3\n\n\n',
  'bad-spaces': 'book_id,user_id,rating\n 1 , 2 , 3 \n',
  'bad-unterminated-quote': 'book_id,user_id,rating\n"1,2,3\n',
  'bad-nul': 'book_id,user_id,rating\n1,2\x00,3\n',
  'bad-cr-only': 'book_id,user_id,rating\r1,2,3\r',
  'bad-duplicate-header': 'book_id,book_id,user_id,rating\n1,1,2,3\n',
  'bad-mixed': 'book_id,user_id,rating\n1,2,3\n1,2\nx,y,z\n2,3,9\n3,4,4\n',
  'bad-half-star-goodbooks': 'book_id,user_id,rating\n1,2,3.5\n',
  'bad-sign-rating': 'book_id,user_id,rating\n1,2,+3\n1,3,-3\n1,4,3e0\n',
};
for (const [name, text] of Object.entries(ratings)) {
  put(R, name, [0, 0], text);
  put(R, `${name}-skip`, [1, 0], text);
}
// other columns, string ids, half stars (the "any catalogue" shape)
const custom = 'r,u,i\n4.5,alice,"The Hobbit"\n0.5,bob,dune\n3,alice,dune\n';
put(R, 'ok-custom-cols', [2 | 4, 0], custom);
put(R, 'ok-custom-cols-skip', [3, 0], custom + '9,carol,x\n,dan,y\n');
put(R, 'ok-range-from-bytes', [8, 0x51], 'book_id,user_id,rating\n1,2,3\n2,3,5\n');
put(R, 'bad-range-inverted', [8, 0x15], 'book_id,user_id,rating\n1,2,3\n');
put(R, 'bad-max-id-len', [16 | 1, 2], 'book_id,user_id,rating\n1,2,3\n1234,2,3\n');

// option byte of fuzz_items: bit0 skip_bad, bit1 columns id/name/by, bit2 cover/y/avg/x, bit3 the catalogue's
const H = 'book_id,goodreads_book_id,authors,original_publication_year,title,average_rating,image_url,small_image_url';
const items = {
  'ok-goodbooks': `${H}\n1,2767052,Suzanne Collins,2008.0,"The Hunger Games (The Hunger Games, #1)",4.34,https://images.gr-assets.com/books/1447303603m/2767052.jpg,https://images.gr-assets.com/books/1447303603s/2767052.jpg\n2,3,"J.K. Rowling, Mary GrandPré",1997.0,Harry Potter,4.44,,\n`,
  'ok-crlf-bom': `\xef\xbb\xbf${H}\r\n1,2,A,,"T ""quoted"" title",4.0,,\r\n`,
  'ok-multiline-quoted': `${H}\n1,2,"A\nB","-500","line1\r\nline2",3.9,x,y\n`,
  'ok-minimal': 'book_id,title,authors\n1,A,B\n2,C,D\n',
  'ok-hostile': 'book_id,title,authors,image_url\n1,<img src=x onerror=alert(1)>,"<script>x</script>",javascript:alert(1)\n',
  'bad-empty': '',
  'bad-header-only': `${H}\n`,
  'bad-missing-id-col': 'title,authors\nA,B\n',
  'bad-missing-title-col': 'book_id,authors\n1,B\n',
  'bad-unterminated-quote': 'book_id,title,authors\n1,"A,B\n',
  'bad-quote-in-middle': 'book_id,title,authors\n1,A"B,C\n',
  'bad-junk-after-quote': 'book_id,title,authors\n1,"A"x,C\n',
  'bad-short-row': 'book_id,title,authors\n1,A\n',
  'bad-long-row': 'book_id,title,authors\n1,A,B,C\n',
  'bad-empty-id': 'book_id,title,authors\n,A,B\n',
  'bad-duplicate-id': 'book_id,title,authors\n1,A,B\n1,C,D\n',
  'bad-year': `${H}\n1,2,A,year,T,4.0,,\n`,
  'bad-avg': `${H}\n1,2,A,2000,T,four,,\n`,
  'bad-nul': 'book_id,title,authors\n1,A\x00B,C\n',
  'bad-invalid-utf8': 'book_id,title,authors\n1,\xff\xfe\xc3,C\n',
};
for (const [name, text] of Object.entries(items)) {
  put(I, name, [0], text);
  put(I, `${name}-skip`, [1], text);
}
put(I, 'ok-custom-cols', [2 | 4], 'id,name,by,cover,y,avg,x\nb-1,Dune,Herbert,http://c,1965,4.2,9\n');

// the CSV fixtures of the test suite (heads only: seeds should be small)
const fx = path.resolve(HERE, '..', 'fixtures');
const csvs = [];
if (existsSync(fx)) {
  for (const e of readdirSync(fx, { withFileTypes: true })) {
    if (e.isDirectory()) {
      for (const f of readdirSync(path.join(fx, e.name))) if (f.endsWith('.csv')) csvs.push([`${e.name}-${f}`, path.join(fx, e.name, f)]);
    } else if (e.name.endsWith('.csv')) csvs.push([e.name, path.join(fx, e.name)]);
  }
}
for (const [name, file] of csvs) {
  const head = readFileSync(file).subarray(0, 4096);
  if (/book|item/i.test(path.basename(file)) && !/rating/i.test(path.basename(file))) {
    writeFileSync(path.join(I, `fixture-${name}`), Buffer.concat([Buffer.from([/catalogue/.test(name) ? 1 | 8 : 1]), head]));
  } else {
    writeFileSync(path.join(R, `fixture-${name}`), Buffer.concat([Buffer.from([/catalogue/.test(name) ? 1 | 32 : 1, 0]), head]));
  }
}
// fuzz_goodreads: Goodreads library exports as Goodreads writes them, and broken ones
const GH = 'Book Id,Title,Author,Author l-f,Additional Authors,ISBN,ISBN13,My Rating,Average Rating,Publisher,Binding,' +
  'Number of Pages,Year Published,Original Publication Year,Date Read,Date Added,Bookshelves,Bookshelves with positions,' +
  'Exclusive Shelf,My Review,Spoiler,Private Notes,Read Count,Owned Copies';
const grRow = (id, title, author, lf, isbn, isbn13, rating, shelf, review = '') =>
  `${id},${title},${author},${lf},,"=""${isbn}""","=""${isbn13}""",${rating},4.1,House,Paperback,300,2010,2008,,2019/12/01,` +
  `${shelf === 'read' ? '' : shelf},,${shelf},${review},,,1,0`;
const goodreads = {
  'ok-export': `${GH}\n${grRow(2767052, '"The Hunger Games (The Hunger Games, #1)"', 'Suzanne Collins', '"Collins, Suzanne"', '0439023483', '9780439023481', 5, 'read')}\n`,
  'ok-crlf-bom-review': `\xef\xbb\xbf${GH}\r\n${grRow(1, 'Cien A\xc3\xb1os de Soledad: A Novel', 'Gabriel Garc\xc3\xada M\xc3\xa1rquez', '"Garc\xc3\xada M\xc3\xa1rquez, Gabriel"', '', '9780000000124', 0, 'to-read', '"Long, ""good""\r\nand sad."')}\r\n`,
  'ok-isbn-only': `${GH}\n${grRow(9, 'x', '', '', '043955493X', '', 3, 'currently-reading')}\n${grRow('', '', '', '', '', '', '', '')}\n`,
  'ok-few-columns': 'Title,ISBN13,My Rating\nThe Great Gatsby (Anniversary Edition)\n"Twilight, #1",="9780316015844",2.0\n',
  'ok-unicode-titles': 'Book Id,Title,Author\n5,"\xce\xa3\xce\xbf\xcf\x86\xce\xaf\xce\xb1 [#1.5]",\xd0\x81\xd0\xb6 Jr.\n' +
    '6,\xd8\xa3\xd9\x86\xd8\xaa \xef\xbc\xa1&\xe2\x80\x99B \xe2\x80\x94 sub,"L\xc3\xa9, M"\n',
  'bad-rating': `${GH}\n${grRow(1, 'A', 'B', 'B', '', '', 7, 'read')}\n`,
  'bad-not-export': 'book_id,user_id,rating\n1,2,3\n',
  'bad-empty': '',
  'bad-unterminated': 'Book Id,Title\n1,"open\n',
  'bad-invalid-utf8': 'Book Id,Title,Author\n1,\xff\xfe\xc3,\xe2\x80\n',
};
for (const [name, text] of Object.entries(goodreads)) put(G, name, [0], text);
const grBooks = 'book_id,goodreads_book_id,best_book_id,isbn,isbn13,authors,original_title,title\n' +
  '1,2767052,2767053,439023483,9.78043902348e+12,Suzanne Collins,The Hunger Games,"The Hunger Games (The Hunger Games, #1)"\n' +
  '2,3,3,,9.78000000012e+12,"Garc\xc3\xada M\xc3\xa1rquez, G",Cien a\xc3\xb1os,Solitude: A Novel\n';
put(G, 'ok-own-books', [1], `${grBooks}\x00${goodreads['ok-export']}`);
put(G, 'ok-own-books-unicode', [1], `${grBooks}\x00${goodreads['ok-unicode-titles']}`);
put(G, 'bad-own-books', [1], `book_id\n1\x00${goodreads['ok-export']}`);

console.log(`gen_csv_seeds: ${readdirSync(R).length} ratings, ${readdirSync(I).length} items and ${readdirSync(G).length} Goodreads seeds in ${OUT}`);
