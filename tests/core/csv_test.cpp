// The one CSV reader (sim/core/csv.hpp): quoted fields, a UTF-8 byte-order mark, CRLF line ends,
// blank lines, and errors at file:line:column with the column's name as key.
#include <catch2/catch.hpp>
#include <string>

#include "sim/core/csv.hpp"

using namespace commsim;

TEST_CASE("csv: quoted fields hold commas, doubled quotes and line breaks", "[csv]") {
  const auto records = csv::parse("t.csv", "a,b,c\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\n  plain  ,\" kept \",\n");
  REQUIRE(records.size() == 3);
  CHECK(records[1].cells[0].text == "x, y");
  CHECK(records[1].cells[1].text == "say \"hi\"");
  CHECK(records[1].cells[2].text == "two\nlines");
  CHECK(records[1].cells[2].quoted);
  CHECK(records[2].line == 4);  // after the line break inside quotes
  CHECK(records[2].cells[0].text == "plain");   // unquoted: trimmed
  CHECK(records[2].cells[1].text == " kept ");  // quoted: as written
  CHECK(records[2].cells[2].text.empty());
  CHECK(records[2].cells.size() == 3);
}

TEST_CASE("csv: a UTF-8 byte-order mark is ignored, CRLF and blank lines are line ends", "[csv]") {
  const auto records = csv::parse("t.csv", "\xEF\xBB\xBF" "名,b\r\n\r\n区,2\r\n");
  REQUIRE(records.size() == 2);
  CHECK(records[0].cells[0].text == "名");
  CHECK(records[0].cells[1].text == "b");
  CHECK(records[1].line == 3);
  CHECK(records[1].cells[0].text == "区");
  CHECK(records[1].cells[1].text == "2");
  // Columns count code points: the cell after "区," starts at column 3.
  CHECK(records[1].cells[1].column == 3);
}

TEST_CASE("csv: errors name the file, line, column and the column's name", "[csv]") {
  SECTION("unclosed quote") {
    try {
      csv::parse("t.csv", "a,b\n1,\"open\n", "k");
      FAIL("no error");
    } catch (const InputError& e) {
      CHECK(e.pos().line == 2);
      CHECK(e.pos().column == 3);
      CHECK(e.key() == "k");
      CHECK_THAT(e.message(), Catch::Contains("unclosed quote"));
    }
  }
  SECTION("a row of the wrong width, a duplicate column, a bad number") {
    const csv::Table table("t.csv", csv::parse("t.csv", "a,b\n1,2\n3\n4,x\n"), "file", "file.");
    CHECK_THROWS_WITH(csv::Row(table, 1), Catch::StartsWith("t.csv:3:1: key 'file': row has 1 cells but the header has 2"));
    const csv::Row bad(table, 2);
    try {
      (void)bad.number("b", 0, 10);
      FAIL("no error");
    } catch (const InputError& e) {
      CHECK(e.pos().file == "t.csv");
      CHECK(e.pos().line == 4);
      CHECK(e.pos().column == 3);
      CHECK(e.key() == "file.b");
      CHECK_THAT(e.message(), Catch::Contains("'x' is not a number in [0, 10]"));
    }
    CHECK(csv::Row(table, 0).number("b", 0, 10) == 2.0);
    CHECK_THROWS_WITH(csv::Table("t.csv", csv::parse("t.csv", "a,a\n")), Catch::Contains("column 'a' appears twice"));
    CHECK_THROWS_WITH(table.require({"a", "c"}, "a, c"), Catch::Contains("missing column 'c'"));
  }
  SECTION("empty and missing files") {
    CHECK_THROWS_WITH(csv::Table("t.csv", csv::parse("t.csv", "\n\n")), Catch::Contains("empty file"));
    CHECK_THROWS_AS(csv::read_file("/nonexistent/t.csv", "table"), InputError);
  }
}
