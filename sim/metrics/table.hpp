// The machinery of the results schema (sim/metrics/result_schema.hpp): a result table is a list of
// fields, each with a name, unit, description, stored type and where its value lives in the row
// struct. From one table the generic functions below make the columns a writer stores (HDF5, with
// their shapes), put read-back columns into rows again, serialise rows to bytes and back (MPI),
// and feed the golden hash. None of them knows a particular field: adding an output is one row in
// a table (result_schema.cpp), one row in its documentation (output_fields.csv) plus the code that
// computes its value.
#pragma once
#include <boost/preprocessor/punctuation/comma_if.hpp>
#include <boost/preprocessor/seq/for_each_i.hpp>
#include <boost/preprocessor/stringize.hpp>
#include <boost/preprocessor/variadic/to_seq.hpp>
#include <cstdint>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

namespace commsim {

// Stored types, as written to HDF5 (little-endian, fixed width) and to serialised bytes.
enum class Dtype : uint8_t { u8, i32, i64, u32, u64, f32, f64, text };
const char* dtype_name(Dtype dtype);

// Where a field appears in --summary-json: not at all; the mean over replicates; the mean and a
// `<name>_ci95` 95 % half-width; the first replicate's value (text, counts fixed by the scenario).
enum class JsonMode : uint8_t { none, mean, mean_ci, first };

// How a table's rows are stored: `rows` = a vector of row structs, one per cell of the table's
// axes (row-major); `columns` = one struct whose vector members each hold a whole column already
// laid out row-major (daily records); `attributes` = one struct whose scalars are written as
// attributes of the table's group.
enum class Storage : uint8_t { rows, columns, attributes };

// Everything about a field that does not depend on the row type.
struct FieldInfo {
  std::string name;                // dataset / attribute name and JSON key
  std::string unit;                // requests, minutes, hours, share, yuan, residents, 1, ...
  std::string description;         // what it is and how to read it
  Dtype dtype = Dtype::f64;        // element type (vector members: their elements)
  std::string axis;                // an extra axis of vector members in `rows` storage ("roles", ...);
                                   // "ragged" for a list of texts of varying length (flat + `<name>_offset`)
  std::string offset_description;  // ragged fields: what `<name>_offset` says
  bool derived = false;            // computed from stored fields: written and documented, not serialised
  JsonMode json = JsonMode::none;
  std::string json_key;  // key in --summary-json when it differs from `name` ("cost.total_yuan")
};

template <class Row>
using Member = std::variant<bool Row::*, uint8_t Row::*, int32_t Row::*, int64_t Row::*, uint32_t Row::*,
                            uint64_t Row::*, float Row::*, double Row::*, std::string Row::*,
                            std::vector<int32_t> Row::*, std::vector<uint32_t> Row::*, std::vector<int64_t> Row::*, std::vector<uint64_t> Row::*,
                            std::vector<float> Row::*, std::vector<double> Row::*, std::vector<std::string> Row::*>;

template <class Row>
struct Field : FieldInfo {
  Member<Row> member{};                       // stored fields
  std::function<double(const Row&)> compute;  // derived fields (dtype f64)
};

template <class Row>
struct Table {
  std::string group;              // relative to the run group ("communities", "totals"); "" = itself
  std::vector<std::string> axes;  // names of the shape's axes ("communities", "services")
  std::string description;
  Storage storage = Storage::rows;
  bool chunk_rows = false;  // chunked one cell of the first axis at a time (+ shuffle, gzip)
  std::vector<Field<Row>> fields;
  const Field<Row>* find(const std::string& name) const {
    for (const auto& f : fields)
      if (f.name == name) return &f;
    return nullptr;
  }
};

// ---------------------------------------------------------------- field constructors
namespace schema_detail {
template <class T>
constexpr Dtype dtype_of() {
  if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, uint8_t>) return Dtype::u8;
  else if constexpr (std::is_same_v<T, int32_t>) return Dtype::i32;
  else if constexpr (std::is_same_v<T, int64_t>) return Dtype::i64;
  else if constexpr (std::is_same_v<T, uint32_t>) return Dtype::u32;
  else if constexpr (std::is_same_v<T, uint64_t>) return Dtype::u64;
  else if constexpr (std::is_same_v<T, float>) return Dtype::f32;
  else if constexpr (std::is_same_v<T, double>) return Dtype::f64;
  else {
    static_assert(std::is_same_v<T, std::string>, "a result field is a number, a flag or a text");
    return Dtype::text;
  }
}
template <class T>
struct element {
  using type = T;
};
template <class T>
struct element<std::vector<T>> {
  using type = T;
};
}  // namespace schema_detail

// A stored field: `field("wait_histogram", &WaitHistogram::counts)`; its unit, meaning, place in
// --summary-json and extra axis come from the documentation (output_fields.csv, see make_table).
template <class Row, class T>
Field<Row> field(std::string name, T Row::*member) {
  Field<Row> f;
  f.name = std::move(name);
  f.dtype = schema_detail::dtype_of<typename schema_detail::element<T>::type>();
  f.member = member;
  return f;
}

// Fields named as their members: `COMMSIM_FIELDS(ServiceTotals, demand, served)` is
// `field("demand", &ServiceTotals::demand), field("served", &ServiceTotals::served)`.
#define COMMSIM_FIELD_OF(r, Row, i, member) BOOST_PP_COMMA_IF(i) field(BOOST_PP_STRINGIZE(member), &Row::member)
#define COMMSIM_FIELDS(Row, ...) BOOST_PP_SEQ_FOR_EACH_I(COMMSIM_FIELD_OF, Row, BOOST_PP_VARIADIC_TO_SEQ(__VA_ARGS__))

// A derived field (f64), computed from the row when written.
template <class Row>
Field<Row> derived(std::string name, std::function<double(const Row&)> compute) {
  Field<Row> f;
  f.name = std::move(name);
  f.dtype = Dtype::f64;
  f.derived = true;
  f.compute = std::move(compute);
  return f;
}

// Fills a table's description and its fields' documentation (unit, description, --summary-json
// mode and key, extra axis, offsets' description) from the rows of sim/metrics/output_fields.csv
// whose `table` is `id` (output_docs.cpp). The table's fields and the file's rows must match one to
// one: a field without a row, or a row without a field, is a std::logic_error naming both.
void document_table(const std::string& id, std::string& description, const std::vector<FieldInfo*>& fields);

// A table named `id` in output_fields.csv, which documents it and its fields.
template <class Row>
Table<Row> make_table(const std::string& id, std::string group, std::vector<std::string> axes,
                      std::vector<Field<Row>> fields, Storage storage = Storage::rows, bool chunk_rows = false) {
  Table<Row> t;
  t.group = std::move(group);
  t.axes = std::move(axes);
  t.storage = storage;
  t.chunk_rows = chunk_rows;
  t.fields = std::move(fields);
  std::vector<FieldInfo*> infos;
  for (auto& f : t.fields) infos.push_back(&f);
  document_table(id, t.description, infos);
  return t;
}

// ---------------------------------------------------------------- columns
using ColumnValues =
    std::variant<std::vector<uint8_t>, std::vector<int32_t>, std::vector<int64_t>, std::vector<uint32_t>,
                 std::vector<uint64_t>, std::vector<float>, std::vector<double>, std::vector<std::string>>;

// One field's values over a whole table, with its shape: what a writer stores as one dataset
// (or one attribute, for `attributes` tables).
struct ColumnData {
  const FieldInfo* info = nullptr;
  std::string name;  // dataset name (a ragged field's offsets: `<name>_offset`)
  Dtype dtype = Dtype::f64;
  std::vector<uint64_t> dims;
  std::vector<std::string> axes;  // one name per dim
  ColumnValues values;            // owned values, or
  const void* view = nullptr;     // contiguous values held elsewhere (columns storage)
  bool chunk_rows = false;
  bool offset = false;  // the offsets column of a ragged field
  std::string description() const { return info ? (offset ? info->offset_description : info->description) : ""; }
  std::string unit() const { return info ? (offset ? "1" : info->unit) : ""; }
  size_t count() const {
    size_t n = 1;
    for (auto d : dims) n *= static_cast<size_t>(d);
    return n;
  }
  const void* data() const;  // numeric data (view or owned)
  size_t element_bytes() const;
};

inline const void* ColumnData::data() const {
  if (view) return view;
  return std::visit([](const auto& v) -> const void* { return v.data(); }, values);
}

inline size_t ColumnData::element_bytes() const {
  switch (dtype) {
    case Dtype::u8:
      return 1;
    case Dtype::i32:
    case Dtype::u32:
    case Dtype::f32:
      return 4;
    case Dtype::i64:
    case Dtype::u64:
    case Dtype::f64:
      return 8;
    case Dtype::text:
      return 0;
  }
  return 0;
}

namespace schema_detail {

template <class T>
ColumnValues empty_values() {
  if constexpr (std::is_same_v<T, bool>)
    return std::vector<uint8_t>{};
  else
    return std::vector<T>{};
}

// Appends one value of a stored member to the column's vector.
template <class V, class T>
void push(ColumnValues& values, const T& v) {
  std::get<std::vector<V>>(values).push_back(static_cast<V>(v));
}

}  // namespace schema_detail

// Calls `sink(const ColumnData&)` for every field of `table` over `rows` (n row structs; for
// `columns` and `attributes` storage n = 1). `axis_length(name)` gives the length of a named axis.
template <class Row, class Sink, class AxisLength>
void for_each_column(const Table<Row>& table, const Row* rows, size_t n, AxisLength axis_length, Sink&& sink) {
  std::vector<uint64_t> dims;
  for (const auto& a : table.axes) dims.push_back(static_cast<uint64_t>(axis_length(a)));
  for (const auto& f : table.fields) {
    ColumnData c;
    c.info = &f;
    c.name = f.name;
    c.dtype = f.dtype;
    c.dims = table.storage == Storage::attributes ? std::vector<uint64_t>{} : dims;
    c.axes = table.storage == Storage::attributes ? std::vector<std::string>{} : table.axes;
    c.chunk_rows = table.chunk_rows;
    if (f.derived) {
      std::vector<double> v;
      v.reserve(n);
      for (size_t i = 0; i < n; ++i) v.push_back(f.compute(rows[i]));
      c.values = std::move(v);
      sink(c);
      continue;
    }
    bool ragged = false;
    std::vector<uint64_t> offsets;
    std::visit(
        [&](auto member) {
          using T = std::remove_cvref_t<decltype(rows->*member)>;
          if constexpr (!std::is_same_v<typename schema_detail::element<T>::type, T>) {  // a vector member
            using E = typename schema_detail::element<T>::type;
            c.values = schema_detail::empty_values<E>();
            if (table.storage == Storage::columns) {
              if constexpr (!std::is_same_v<E, std::string>) c.view = (rows->*member).data();
              return;
            }
            if (f.axis == "ragged") {
              ragged = true;
              offsets.push_back(0);
              for (size_t i = 0; i < n; ++i) {
                for (const auto& e : rows[i].*member) schema_detail::push<E>(c.values, e);
                offsets.push_back(std::get<std::vector<E>>(c.values).size());
              }
              c.dims = {offsets.back()};
              c.axes = {f.name};
              return;
            }
            const size_t len = static_cast<size_t>(axis_length(f.axis));
            c.dims.push_back(len);
            c.axes.push_back(f.axis);
            for (size_t i = 0; i < n; ++i) {
              const auto& v = rows[i].*member;
              if (v.size() != len)
                throw std::logic_error("result field '" + f.name + "' has " + std::to_string(v.size()) +
                                       " values in a row, expected " + std::to_string(len) + " (" + f.axis + ")");
              for (const auto& e : v) schema_detail::push<E>(c.values, e);
            }
          } else {
            c.values = schema_detail::empty_values<T>();
            for (size_t i = 0; i < n; ++i) {
              if constexpr (std::is_same_v<T, bool>)
                schema_detail::push<uint8_t>(c.values, rows[i].*member ? 1 : 0);
              else
                schema_detail::push<T>(c.values, rows[i].*member);
            }
          }
        },
        f.member);
    if (!c.view && c.count() != std::visit([](const auto& v) { return v.size(); }, c.values))
      throw std::logic_error("result table '" + table.group + "': field '" + f.name + "' has " +
                             std::to_string(std::visit([](const auto& v) { return v.size(); }, c.values)) +
                             " values, its shape holds " + std::to_string(c.count()));
    if (table.storage == Storage::columns) {
      const size_t have = std::visit(
          [&](auto member) -> size_t {
            if constexpr (requires { (rows->*member).size(); })
              return (rows->*member).size();
            else
              return 0;
          },
          f.member);
      if (have != c.count())
        throw std::logic_error("result field '" + f.name + "' holds " + std::to_string(have) +
                               " values, its shape holds " + std::to_string(c.count()));
    }
    sink(c);
    if (ragged) {
      ColumnData o;
      o.info = &f;
      o.offset = true;
      o.name = f.name + "_offset";
      o.dtype = Dtype::u64;
      o.dims = {offsets.size()};
      o.axes = {table.axes.empty() ? std::string("rows") : table.axes.front() + "+1"};
      o.values = std::move(offsets);
      sink(o);
    }
  }
}

// Puts a column read back from a file into `rows` (already sized to the table's cells). Derived
// fields are skipped (they are recomputed). `columns` finds a column by name (nullptr if absent:
// then the field keeps its default, so files written before a field existed still read).
template <class Row, class Find>
void assign_columns(const Table<Row>& table, Row* rows, size_t n, Find&& find) {
  for (const auto& f : table.fields) {
    if (f.derived) continue;
    const ColumnData* c = find(f.name);
    if (!c) continue;
    std::visit(
        [&](auto member) {
          using T = std::remove_cvref_t<decltype(rows->*member)>;
          using E = typename schema_detail::element<T>::type;
          auto get = [&](size_t i) -> E {
            return std::visit(
                [&](const auto& v) -> E {
                  using V = typename std::remove_cvref_t<decltype(v)>::value_type;
                  if constexpr (std::is_same_v<E, std::string> != std::is_same_v<V, std::string>)
                    throw std::runtime_error("result field '" + f.name + "' has the wrong type in the file");
                  else if constexpr (std::is_same_v<E, std::string>)
                    return v.at(i);
                  else
                    return static_cast<E>(v.at(i));
                },
                c->values);
          };
          if constexpr (std::is_same_v<E, T>) {
            for (size_t i = 0; i < n; ++i) rows[i].*member = get(i);
          } else if (table.storage == Storage::columns) {
            auto& v = rows->*member;
            v.resize(c->count());
            for (size_t i = 0; i < v.size(); ++i) v[i] = get(i);
          } else if (f.axis == "ragged") {
            const ColumnData* o = find(f.name + "_offset");
            if (!o) throw std::runtime_error("result field '" + f.name + "' has no offsets in the file");
            const auto& off = std::get<std::vector<uint64_t>>(o->values);
            for (size_t i = 0; i < n && i + 1 < off.size(); ++i) {
              auto& v = rows[i].*member;
              v.clear();
              for (uint64_t k = off[i]; k < off[i + 1]; ++k) v.push_back(get(static_cast<size_t>(k)));
            }
          } else {
            const size_t len = c->dims.empty() ? 0 : static_cast<size_t>(c->dims.back());
            for (size_t i = 0; i < n; ++i) {
              auto& v = rows[i].*member;
              v.resize(len);
              for (size_t k = 0; k < len; ++k) v[k] = get(i * len + k);
            }
          }
        },
        f.member);
  }
}

// ---------------------------------------------------------------- bytes (MPI)
// Native byte order and widths: both ends are the same program on the same kind of machine.
struct ByteWriter {
  std::vector<uint8_t> out;
  template <class T>
  void pod(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    out.insert(out.end(), p, p + sizeof(T));
  }
  void str(const std::string& s) {
    pod<uint64_t>(s.size());
    out.insert(out.end(), s.begin(), s.end());
  }
  template <class T>
  void vec(const std::vector<T>& v) {
    if constexpr (std::is_same_v<T, std::string>) {
      pod<uint64_t>(v.size());
      for (const auto& s : v) str(s);
    } else {
      static_assert(std::is_trivially_copyable_v<T>);
      pod<uint64_t>(v.size());
      const auto* p = reinterpret_cast<const uint8_t*>(v.data());
      out.insert(out.end(), p, p + v.size() * sizeof(T));
    }
  }
};

struct ByteReader {
  const uint8_t* p;
  const uint8_t* end;
  [[noreturn]] static void malformed();  // throws RuntimeFailure
  void need(size_t n) const {
    if (static_cast<size_t>(end - p) < n) malformed();
  }
  template <class T>
  T pod() {
    need(sizeof(T));
    T v;
    std::memcpy(&v, p, sizeof(T));
    p += sizeof(T);
    return v;
  }
  template <class T>
  void pod(T& v) {
    v = pod<T>();
  }
  size_t count(size_t element) {
    const uint64_t n = pod<uint64_t>();
    if (element && n > static_cast<uint64_t>(end - p) / element) malformed();
    return static_cast<size_t>(n);
  }
  void str(std::string& s) {
    const size_t n = count(1);
    s.assign(reinterpret_cast<const char*>(p), n);
    p += n;
  }
  template <class T>
  void vec(std::vector<T>& v) {
    if constexpr (std::is_same_v<T, std::string>) {
      v.resize(count(8));
      for (auto& s : v) str(s);
    } else {
      const size_t n = count(sizeof(T));
      v.resize(n);
      if (n) std::memcpy(v.data(), p, n * sizeof(T));
      p += n * sizeof(T);
    }
  }
};

// Every stored field of `n` rows, field by field, to bytes (ByteWriter, const rows) or back
// (ByteReader); derived fields are recomputed by the reader.
template <class Row, class RowPtr, class Bytes>
void transfer_rows(const Table<Row>& table, RowPtr rows, size_t n, Bytes& bytes) {
  for (const auto& f : table.fields) {
    if (f.derived) continue;
    std::visit(
        [&](auto member) {
          using T = std::remove_cvref_t<decltype(rows->*member)>;
          for (size_t i = 0; i < n; ++i) {
            if constexpr (std::is_same_v<T, std::string>)
              bytes.str(rows[i].*member);
            else if constexpr (!std::is_same_v<typename schema_detail::element<T>::type, T>)
              bytes.vec(rows[i].*member);
            else
              bytes.pod(rows[i].*member);
          }
        },
        f.member);
  }
}

}  // namespace commsim

namespace commsim {

// A field's value in one row as a number (numeric stored or derived fields; 0 for others).
template <class Row>
double field_number(const Field<Row>& f, const Row& row) {
  if (f.derived) return f.compute(row);
  return std::visit(
      [&](auto member) -> double {
        using T = std::remove_cvref_t<decltype(row.*member)>;
        if constexpr (std::is_arithmetic_v<T>)
          return static_cast<double>(row.*member);
        else
          return 0.0;
      },
      f.member);
}

// A text field's value in one row ("" for others).
template <class Row>
std::string field_text(const Field<Row>& f, const Row& row) {
  if (f.derived) return {};
  return std::visit(
      [&](auto member) -> std::string {
        using T = std::remove_cvref_t<decltype(row.*member)>;
        if constexpr (std::is_same_v<T, std::string>)
          return row.*member;
        else
          return {};
      },
      f.member);
}

inline bool is_integral(Dtype d) {
  return d != Dtype::f32 && d != Dtype::f64 && d != Dtype::text;
}

}  // namespace commsim
