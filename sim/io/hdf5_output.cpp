// HDF5 output (see hdf5_output.hpp and docs/output-format.md). The only file that includes HDF5.
//
// Every HDF5 call is checked; failures become RuntimeFailure naming the file and the step, with the
// innermost message of HDF5's error stack (e.g. "errno = 28, error message = 'No space left on
// device'"). HDF5's automatic error printing is turned off. Strings (attributes and datasets) are
// variable-length UTF-8. Numbers are stored little-endian with fixed widths whatever the host.
// The serial HDF5 library is not thread-safe: one Hdf5Output is used by one thread at a time.
#include "sim/io/hdf5_output.hpp"

#include <fcntl.h>
#include <hdf5.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>
#include <type_traits>
#include <utility>

#include "commsim/version.hpp"
#include "sim/core/error.hpp"
#include "sim/io/run_group.hpp"
#include "sim/metrics/result_schema.hpp"

namespace commsim {

namespace {

namespace fs = std::filesystem;

const FileFacts kFileFacts{};
const std::string kFormatName = kFileFacts.format;

void silence_hdf5_errors() {
  static const bool silenced = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)silenced;
}

// The most specific message on HDF5's error stack (the place where the error was first detected),
// or "" when the stack is empty. Clears the stack.
std::string hdf5_error_detail() {
  std::string innermost;
  auto walk = [](unsigned n, const H5E_error2_t* err, void* data) -> herr_t {
    if (n == 0 && err && err->desc) *static_cast<std::string*>(data) = err->desc;
    return 0;
  };
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk, &innermost);
  H5Eclear2(H5E_DEFAULT);
  // System errors carry "... errno = 28, error message = 'No space left on device', buf = ...":
  // keep just the message.
  const std::string marker = "error message = '";
  const size_t at = innermost.find(marker);
  if (at != std::string::npos) {
    const size_t begin = at + marker.size();
    const size_t end = innermost.find('\'', begin);
    if (end != std::string::npos) innermost = innermost.substr(begin, end - begin);
  }
  for (char& ch : innermost)
    if (ch == '\n') ch = ' ';
  constexpr size_t kMaxDetail = 400;
  if (innermost.size() > kMaxDetail) innermost = innermost.substr(0, kMaxDetail) + "...";
  return innermost;
}

// Where HDF5 calls go: the file's name for messages and, for the writer, its open file, so that a
// failure can make the file safe to close (see abandon()).
struct Sink {
  std::string name;
  hid_t file = -1;  // the writer's file; -1 for readers
  bool broken = false;
  Sink(std::string name_) : name(std::move(name_)) {}  // NOLINT: readers pass a path
};

// After a failed write (no space, I/O error), HDF5 1.10 cannot close the file cleanly: each
// object whose close fails to flush leaves a dangling identifier, and the library then crashes at
// exit. The partial file is being abandoned anyway, so point its descriptor at an anonymous
// in-memory file: the closes that follow write their cached metadata there and succeed. (Reads
// of earlier data would see zeros, but closing only writes; raw data is never cached, see
// write_dataset.)
void abandon(Sink& sink) {
  if (sink.broken || sink.file < 0) return;
  sink.broken = true;
  void* handle = nullptr;
  H5Eclear2(H5E_DEFAULT);
  if (H5Fget_vfd_handle(sink.file, H5P_DEFAULT, &handle) < 0 || handle == nullptr) return;
  const int fd = *static_cast<int*>(handle);
  const int scratch = ::memfd_create("commsim-abandoned-output", MFD_CLOEXEC);
  if (scratch < 0) return;
  ::dup2(scratch, fd);
  ::close(scratch);
  H5Eclear2(H5E_DEFAULT);
}

[[noreturn]] void fail(const Sink& file, const std::string& what) {
  std::string message = "HDF5 output '" + file.name + "': cannot " + what;
  const std::string detail = hdf5_error_detail();
  if (!detail.empty()) message += " (" + detail + ")";
  abandon(const_cast<Sink&>(file));
  throw RuntimeFailure(message);
}

// An owned HDF5 identifier. close() reports failure (closing a dataset or file writes cached data,
// so it can fail for lack of space); the destructor closes silently on the error path.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, -1)), closer_(other.closer_) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, -1);
      closer_ = other.closer_;
    }
    return *this;
  }
  ~Handle() { reset(); }
  hid_t get() const { return id_; }
  operator hid_t() const { return id_; }  // NOLINT(google-explicit-constructor): used in H5 calls
  bool valid() const { return id_ >= 0; }
  herr_t close() {
    if (id_ < 0) return 0;
    const herr_t status = closer_(id_);
    id_ = -1;
    return status;
  }
  void reset() {
    if (id_ >= 0) {
      closer_(id_);
      id_ = -1;
      H5Eclear2(H5E_DEFAULT);
    }
  }

 private:
  hid_t id_ = -1;
  Closer closer_ = nullptr;
};

// Checked constructors of handles: throw naming `file` and `what` on failure.
Handle checked(hid_t id, Handle::Closer closer, const Sink& file, const std::string& what) {
  if (id < 0) fail(file, what);
  return Handle(id, closer);
}
void check(herr_t status, const Sink& file, const std::string& what) {
  if (status < 0) fail(file, what);
}
void close_checked(Handle& handle, const Sink& file, const std::string& what) {
  check(handle.close(), file, what);
}

// Type mapping: memory type (native) and file type (fixed width, little-endian), by the
// results schema's dtype of T.
template <class T>
struct H5Types {
  static hid_t mem() {
    switch (schema_detail::dtype_of<T>()) {
      case Dtype::u8: return H5T_NATIVE_UINT8;
      case Dtype::i32: return H5T_NATIVE_INT32;
      case Dtype::u32: return H5T_NATIVE_UINT32;
      case Dtype::i64: return H5T_NATIVE_INT64;
      case Dtype::u64: return H5T_NATIVE_UINT64;
      case Dtype::f32: return H5T_NATIVE_FLOAT;
      default: return H5T_NATIVE_DOUBLE;
    }
  }
  static hid_t file() {
    switch (schema_detail::dtype_of<T>()) {
      case Dtype::u8: return H5T_STD_U8LE;
      case Dtype::i32: return H5T_STD_I32LE;
      case Dtype::u32: return H5T_STD_U32LE;
      case Dtype::i64: return H5T_STD_I64LE;
      case Dtype::u64: return H5T_STD_U64LE;
      case Dtype::f32: return H5T_IEEE_F32LE;
      default: return H5T_IEEE_F64LE;
    }
  }
};

// Variable-length UTF-8 string type (owned).
Handle vlen_string_type(const Sink& file) {
  Handle type = checked(H5Tcopy(H5T_C_S1), H5Tclose, file, "create a string type");
  check(H5Tset_size(type, H5T_VARIABLE), file, "create a string type");
  check(H5Tset_cset(type, H5T_CSET_UTF8), file, "create a string type");
  return type;
}

Handle scalar_space(const Sink& file) {
  return checked(H5Screate(H5S_SCALAR), H5Sclose, file, "create a dataspace");
}

Handle simple_space(const std::vector<hsize_t>& dims, const Sink& file) {
  return checked(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose, file,
                 "create a dataspace");
}

void delete_attribute_if_present(hid_t obj, const char* name, const Sink& file) {
  const htri_t exists = H5Aexists(obj, name);
  if (exists < 0) fail(file, std::string("query attribute '") + name + "'");
  if (exists > 0) check(H5Adelete(obj, name), file, std::string("replace attribute '") + name + "'");
}

void write_string_attribute(hid_t obj, const char* name, const std::string& value, const Sink& file) {
  delete_attribute_if_present(obj, name, file);
  Handle type = vlen_string_type(file);
  Handle space = scalar_space(file);
  const std::string what = std::string("write attribute '") + name + "'";
  Handle attr = checked(H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose, file, what);
  const char* data = value.c_str();
  check(H5Awrite(attr, type, &data), file, what);
  close_checked(attr, file, what);
}

template <class T>
void write_scalar_attribute(hid_t obj, const char* name, T value, const Sink& file) {
  delete_attribute_if_present(obj, name, file);
  Handle space = scalar_space(file);
  const std::string what = std::string("write attribute '") + name + "'";
  Handle attr = checked(H5Acreate2(obj, name, H5Types<T>::file(), space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                        file, what);
  check(H5Awrite(attr, H5Types<T>::mem(), &value), file, what);
  close_checked(attr, file, what);
}

// Metadata every dataset carries: its units and a one-line description.
struct Meta {
  const char* units;
  const char* description;
};

void annotate(hid_t dataset, const Meta& meta, const Sink& file) {
  write_string_attribute(dataset, "units", meta.units, file);
  write_string_attribute(dataset, "description", meta.description, file);
}

// Dataset creation property list: chunked + shuffle + gzip(1) when `chunk` is given and no
// dimension is empty; contiguous otherwise.
Handle dataset_plist(const std::vector<hsize_t>& dims, const std::vector<hsize_t>& chunk, const Sink& file,
                     const std::string& what) {
  Handle dcpl = checked(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, file, what);
  // No modification times in object headers: the same results give byte-identical files.
  check(H5Pset_obj_track_times(dcpl, 0), file, what);
  bool any_empty = false;
  for (hsize_t d : dims) any_empty = any_empty || d == 0;
  if (!chunk.empty() && !any_empty) {
    check(H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data()), file, what);
    check(H5Pset_shuffle(dcpl), file, what);
    check(H5Pset_deflate(dcpl, 1), file, what);
  }
  return dcpl;
}

template <class T>
void write_dataset(hid_t loc, const char* name, const std::vector<hsize_t>& dims, const T* data, const Meta& meta,
                   const Sink& file, const std::vector<hsize_t>& chunk = {}) {
  static_assert(std::is_arithmetic_v<T>);
  const std::string what = std::string("write dataset '") + name + "'";
  Handle space = simple_space(dims, file);
  Handle dcpl = dataset_plist(dims, chunk, file, what);
  // No chunk cache: whole chunks go to the file inside H5Dwrite, so that closing the dataset
  // writes no raw data and cannot fail for lack of space (see abandon()).
  Handle dapl = checked(H5Pcreate(H5P_DATASET_ACCESS), H5Pclose, file, what);
  check(H5Pset_chunk_cache(dapl, 0, 0, 1.0), file, what);
  Handle dset = checked(H5Dcreate2(loc, name, H5Types<T>::file(), space, H5P_DEFAULT, dcpl, dapl), H5Dclose, file,
                        what);
  hsize_t count = 1;
  for (hsize_t d : dims) count *= d;
  if (count > 0) check(H5Dwrite(dset, H5Types<T>::mem(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data), file, what);
  annotate(dset, meta, file);
  close_checked(dset, file, what);
}

template <class T>
void write_vector(hid_t loc, const char* name, const std::vector<T>& values, const Meta& meta,
                  const Sink& file) {
  write_dataset(loc, name, {values.size()}, values.data(), meta, file);
}

void write_strings(hid_t loc, const char* name, const std::vector<std::string>& values, const char* description,
                   const Sink& file, std::vector<hsize_t> dims = {}) {
  const std::string what = std::string("write dataset '") + name + "'";
  if (dims.empty()) dims = {values.size()};
  Handle type = vlen_string_type(file);
  Handle space = simple_space(dims, file);
  Handle dcpl = dataset_plist(dims, {}, file, what);
  Handle dset = checked(H5Dcreate2(loc, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose, file, what);
  std::vector<const char*> pointers;
  pointers.reserve(values.size());
  for (const auto& v : values) pointers.push_back(v.c_str());
  if (!values.empty()) check(H5Dwrite(dset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()), file, what);
  write_string_attribute(dset, "description", description, file);
  close_checked(dset, file, what);
}

Handle create_group(hid_t loc, const std::string& name, const Sink& file) {
  Handle lcpl = checked(H5Pcreate(H5P_LINK_CREATE), H5Pclose, file, "create group '" + name + "'");
  check(H5Pset_create_intermediate_group(lcpl, 1), file, "create group '" + name + "'");
  Handle gcpl = checked(H5Pcreate(H5P_GROUP_CREATE), H5Pclose, file, "create group '" + name + "'");
  check(H5Pset_obj_track_times(gcpl, 0), file, "create group '" + name + "'");
  return checked(H5Gcreate2(loc, name.c_str(), lcpl, gcpl, H5P_DEFAULT), H5Gclose, file,
                 "create group '" + name + "' (does it exist already?)");
}

bool link_exists(hid_t file, const std::string& object) {
  if (object == "/" || object.empty()) return true;
  // Every prefix must exist for H5Lexists to be well defined.
  size_t at = 1;
  while (true) {
    const size_t slash = object.find('/', at);
    const std::string prefix = object.substr(0, slash);
    const htri_t e = H5Lexists(file, prefix.c_str(), H5P_DEFAULT);
    if (e <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return false;
    }
    if (slash == std::string::npos) return true;
    at = slash + 1;
  }
}

// One column of a result table (sim/metrics/table.hpp) as a dataset in `loc`, or as an attribute
// of `loc` for `attributes` tables. Numeric datasets carry `units`, `description` and `axes` (the
// names of their dimensions, comma-separated); string datasets `description` and `axes`.
void store_column(hid_t loc, const ColumnData& c, Storage storage, const Sink& file) {
  const std::string description = c.description();
  if (storage == Storage::attributes) {
    std::visit(
        [&](const auto& v) {
          using V = typename std::decay_t<decltype(v)>::value_type;
          if (v.size() != 1) throw RuntimeFailure("HDF5 output '" + file.name + "': attribute '" + c.name + "' is not one value");
          if constexpr (std::is_same_v<V, std::string>) write_string_attribute(loc, c.name.c_str(), v[0], file);
          else write_scalar_attribute<V>(loc, c.name.c_str(), v[0], file);
        },
        c.values);
    return;
  }
  std::string axes;
  for (const auto& a : c.axes) axes += (axes.empty() ? "" : ",") + a;
  const std::vector<hsize_t> dims(c.dims.begin(), c.dims.end());
  if (c.dtype == Dtype::text) {
    const auto& v = std::get<std::vector<std::string>>(c.values);
    write_strings(loc, c.name.c_str(), v, description.c_str(), file, dims);
    Handle d = checked(H5Dopen2(loc, c.name.c_str(), H5P_DEFAULT), H5Dclose, file, "annotate dataset '" + c.name + "'");
    write_string_attribute(d, "axes", axes, file);
    return;
  }
  std::vector<hsize_t> chunk;
  if (c.chunk_rows && !dims.empty()) {
    chunk = dims;
    chunk[0] = 1;
  }
  const std::string units = c.unit();
  const Meta meta{units.c_str(), description.c_str()};
  const void* data = c.data();
  switch (c.dtype) {
    case Dtype::u8: write_dataset(loc, c.name.c_str(), dims, static_cast<const uint8_t*>(data), meta, file, chunk); break;
    case Dtype::i32: write_dataset(loc, c.name.c_str(), dims, static_cast<const int32_t*>(data), meta, file, chunk); break;
    case Dtype::i64: write_dataset(loc, c.name.c_str(), dims, static_cast<const int64_t*>(data), meta, file, chunk); break;
    case Dtype::u32: write_dataset(loc, c.name.c_str(), dims, static_cast<const uint32_t*>(data), meta, file, chunk); break;
    case Dtype::u64: write_dataset(loc, c.name.c_str(), dims, static_cast<const uint64_t*>(data), meta, file, chunk); break;
    case Dtype::f32: write_dataset(loc, c.name.c_str(), dims, static_cast<const float*>(data), meta, file, chunk); break;
    case Dtype::f64: write_dataset(loc, c.name.c_str(), dims, static_cast<const double*>(data), meta, file, chunk); break;
    case Dtype::text: break;
  }
  Handle d = checked(H5Dopen2(loc, c.name.c_str(), H5P_DEFAULT), H5Dclose, file, "annotate dataset '" + c.name + "'");
  write_string_attribute(d, "axes", axes, file);
}

// Some of the file-format attributes of the root (see file_facts_table).
void write_facts(hid_t root, std::initializer_list<const char*> names, const Sink& file) {
  for_each_column(file_facts_table(), &kFileFacts, 1, [](const std::string&) { return size_t{0}; },
                  [&](const ColumnData& c) {
                    for (const char* n : names)
                      if (c.name == n) store_column(root, c, Storage::attributes, file);
                  });
}

// ------------------------------------------------------------------------------------ reading

Handle open_for_reading(const std::string& path) {
  silence_hdf5_errors();
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw RuntimeFailure("HDF5 output '" + path + "': no such file");
  const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
  if (is_hdf5 <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throw RuntimeFailure("HDF5 output '" + path + "': not an HDF5 file");
  }
  return checked(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, path,
                 "open the file (it may be cut short)");
}

std::string read_string_attribute(hid_t obj, const char* name, const Sink& file) {
  const std::string what = std::string("read attribute '") + name + "'";
  Handle attr = checked(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose, file, what);
  Handle type = checked(H5Aget_type(attr), H5Tclose, file, what);
  if (H5Tget_class(type) != H5T_STRING)
    throw RuntimeFailure("HDF5 output '" + file.name + "': attribute '" + name + "' is not a string");
  const htri_t variable = H5Tis_variable_str(type);
  if (variable < 0) fail(file, what);
  if (variable > 0) {
    Handle mem = vlen_string_type(file);
    char* data = nullptr;
    check(H5Aread(attr, mem, &data), file, what);
    std::string out = data ? data : "";
    H5free_memory(data);
    return out;
  }
  const size_t size = H5Tget_size(type);
  std::string out(size, '\0');
  Handle mem = checked(H5Tcopy(H5T_C_S1), H5Tclose, file, what);
  check(H5Tset_size(mem, size), file, what);
  check(H5Aread(attr, mem, out.data()), file, what);
  out.resize(std::strlen(out.c_str()));
  return out;
}

template <class T>
std::vector<T> read_vector(hid_t loc, const std::string& name, const Sink& file) {
  const std::string what = "read dataset '" + name + "'";
  Handle dset = checked(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), H5Dclose, file, what);
  Handle space = checked(H5Dget_space(dset), H5Sclose, file, what);
  const hssize_t count = H5Sget_simple_extent_npoints(space);
  if (count < 0) fail(file, what);
  std::vector<T> out(static_cast<size_t>(count));
  if (count > 0) check(H5Dread(dset, H5Types<T>::mem(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), file, what);
  return out;
}

std::vector<std::string> read_strings(hid_t loc, const std::string& name, const Sink& file) {
  const std::string what = "read dataset '" + name + "'";
  Handle dset = checked(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), H5Dclose, file, what);
  Handle space = checked(H5Dget_space(dset), H5Sclose, file, what);
  const hssize_t count = H5Sget_simple_extent_npoints(space);
  if (count < 0) fail(file, what);
  std::vector<std::string> out;
  if (count == 0) return out;
  Handle mem = vlen_string_type(file);
  std::vector<char*> data(static_cast<size_t>(count), nullptr);
  check(H5Dread(dset, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()), file, what);
  out.reserve(data.size());
  for (char* s : data) out.emplace_back(s ? s : "");
  H5Dvlen_reclaim(mem, space, H5P_DEFAULT, data.data());
  return out;
}

// One stored column back from `loc` (a dataset, or an attribute of `loc` when `attribute`), with
// its shape, in the dtype the schema gives it. nullopt when it is absent (a file written before the
// field existed).
std::optional<ColumnData> read_column(hid_t loc, const std::string& name, Dtype dtype, bool attribute,
                                      const Sink& file) {
  ColumnData c;
  c.name = name;
  c.dtype = dtype;
  if (attribute) {
    if (H5Aexists(loc, name.c_str()) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return std::nullopt;
    }
    auto scalar = [&](auto zero, hid_t mem) {
      using V = decltype(zero);
      Handle attr = checked(H5Aopen(loc, name.c_str(), H5P_DEFAULT), H5Aclose, file, "read attribute '" + name + "'");
      V value{};
      check(H5Aread(attr, mem, &value), file, "read attribute '" + name + "'");
      c.values = std::vector<V>{value};
    };
    switch (dtype) {
      case Dtype::u8: scalar(uint8_t{}, H5T_NATIVE_UINT8); break;
      case Dtype::i32: scalar(int32_t{}, H5T_NATIVE_INT32); break;
      case Dtype::i64: scalar(int64_t{}, H5T_NATIVE_INT64); break;
      case Dtype::u32: scalar(uint32_t{}, H5T_NATIVE_UINT32); break;
      case Dtype::u64: scalar(uint64_t{}, H5T_NATIVE_UINT64); break;
      case Dtype::f32: scalar(float{}, H5T_NATIVE_FLOAT); break;
      case Dtype::f64: scalar(double{}, H5T_NATIVE_DOUBLE); break;
      case Dtype::text: c.values = std::vector<std::string>{read_string_attribute(loc, name.c_str(), file)}; break;
    }
    return c;
  }
  if (!link_exists(loc, name)) return std::nullopt;
  {
    Handle dset = checked(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), H5Dclose, file, "read dataset '" + name + "'");
    Handle space = checked(H5Dget_space(dset), H5Sclose, file, "read dataset '" + name + "'");
    const int rank = H5Sget_simple_extent_ndims(space);
    if (rank < 0) fail(file, "read dataset '" + name + "'");
    std::vector<hsize_t> dims(static_cast<size_t>(rank));
    if (rank > 0 && H5Sget_simple_extent_dims(space, dims.data(), nullptr) < 0) fail(file, "read dataset '" + name + "'");
    c.dims.assign(dims.begin(), dims.end());
  }
  switch (dtype) {
    case Dtype::u8: c.values = read_vector<uint8_t>(loc, name, file); break;
    case Dtype::i32: c.values = read_vector<int32_t>(loc, name, file); break;
    case Dtype::i64: c.values = read_vector<int64_t>(loc, name, file); break;
    case Dtype::u32: c.values = read_vector<uint32_t>(loc, name, file); break;
    case Dtype::u64: c.values = read_vector<uint64_t>(loc, name, file); break;
    case Dtype::f32: c.values = read_vector<float>(loc, name, file); break;
    case Dtype::f64: c.values = read_vector<double>(loc, name, file); break;
    case Dtype::text: c.values = read_strings(loc, name, file); break;
  }
  return c;
}

// Throws unless the file carries format == "commsim-output" and complete == 1.
void require_complete(hid_t file_id, const std::string& path) {
  auto incomplete = [&](const std::string& why) {
    H5Eclear2(H5E_DEFAULT);
    return RuntimeFailure("HDF5 output '" + path + "' is not a complete commsim output: " + why);
  };
  if (H5Aexists(file_id, "format") <= 0) throw incomplete("no 'format' attribute");
  if (read_string_attribute(file_id, "format", path) != kFormatName) throw incomplete("wrong 'format'");
  if (H5Aexists(file_id, "complete") <= 0) throw incomplete("no 'complete' attribute (the run did not finish)");
  Handle attr = checked(H5Aopen(file_id, "complete", H5P_DEFAULT), H5Aclose, path, "read attribute 'complete'");
  int32_t complete = 0;
  check(H5Aread(attr, H5T_NATIVE_INT32, &complete), path, "read attribute 'complete'");
  if (complete != 1) throw incomplete("'complete' is not 1");
}

}  // namespace

// ------------------------------------------------------------------------------------ writer

struct Hdf5Output::Impl {
  Sink sink;
  Handle file;
  bool committed = false;
  bool keep_partial = false;  // keep_partial_on_close()
  explicit Impl(const std::string& partial) : sink(partial) {}
  void require_usable() const {
    if (sink.broken) throw RuntimeFailure("HDF5 output '" + sink.name + "': unusable after an earlier failure");
    if (!file.valid()) throw RuntimeFailure("HDF5 output '" + sink.name + "': already committed");
  }
};

Hdf5Output::Hdf5Output(const std::string& path, bool force)
    : impl_(std::make_unique<Impl>(path + ".partial")), path_(path), partial_path_(path + ".partial") {
  silence_hdf5_errors();
  if (path.empty()) throw InputError(SourcePos{}, "output", "the output path is empty");
  std::error_code ec;
  const fs::path target(path);
  if (fs::is_directory(target, ec)) throw InputError(SourcePos{}, "output", path + " is a directory");
  // The rename at commit would replace a device or pipe (e.g. /dev/null, as root) with the file.
  if (fs::exists(target, ec) && !fs::is_regular_file(target, ec))
    throw InputError(SourcePos{}, "output", path + " is not a regular file");
  if (fs::exists(target, ec) && !force)
    throw InputError(SourcePos{}, "output", path + " exists; use --force to overwrite");
  fs::path dir = target.parent_path();
  if (dir.empty()) dir = ".";
  if (!fs::is_directory(dir, ec))
    throw InputError(SourcePos{}, "output", "cannot write " + path + ": directory " + dir.string() + " does not exist");
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    throw InputError(SourcePos{}, "output",
                     "cannot write " + path + ": directory " + dir.string() + " is not writable (" +
                         std::strerror(errno) + ")");
  if (fs::is_directory(partial_path_, ec))
    throw InputError(SourcePos{}, "output", partial_path_ + " is a directory");
  fs::remove(partial_path_, ec);  // a stale partial file from an earlier crash

  Sink& sink = impl_->sink;
  Handle fapl = checked(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, sink, "create the file");
  // Closing the file closes every object still open in it (error paths leave none dangling).
  check(H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG), sink, "create the file");
  // No sieve buffer: contiguous datasets go to the file inside H5Dwrite, not at close (we always
  // write whole datasets in one call, so the buffer would only add a copy).
  check(H5Pset_sieve_buf_size(fapl, 0), sink, "create the file");
  const hid_t created = H5Fcreate(partial_path_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  if (created < 0) {
    const std::string detail = hdf5_error_detail();
    fs::remove(partial_path_, ec);
    throw RuntimeFailure("HDF5 output '" + partial_path_ + "': cannot create the file" +
                         (detail.empty() ? "" : " (" + detail + ")"));
  }
  impl_->file = Handle(created, H5Fclose);
  sink.file = impl_->file;
  try {
    // Identify the format from the start, so even a partial file says what it is.
    write_facts(impl_->file, {"format", "format_version"}, sink);
  } catch (...) {
    impl_->file.reset();
    fs::remove(partial_path_, ec);
    throw;
  }
}

Hdf5Output::~Hdf5Output() {
  if (!impl_ || impl_->committed) return;
  if (impl_->keep_partial && !impl_->sink.broken && impl_->file.valid()) {
    H5Fflush(impl_->file, H5F_SCOPE_GLOBAL);
    H5Eclear2(H5E_DEFAULT);
    impl_->file.reset();
    return;
  }
  abandon(impl_->sink);  // nothing more needs to reach the disk
  if (impl_->file.valid()) {
    // HDF5 1.10 can be left mid-flush by a failed write ("slist already enabled"), which makes
    // H5Fclose fail and leave a dangling identifier. A full flush (into the abandoned file) either
    // succeeds or resets that state; then the close succeeds.
    H5Fflush(impl_->file, H5F_SCOPE_GLOBAL);
    H5Eclear2(H5E_DEFAULT);
  }
  impl_->file.reset();
  std::error_code ec;
  fs::remove(partial_path_, ec);
}

void Hdf5Output::write_provenance(const Provenance& p) {
  impl_->require_usable();
  for_each_column(provenance_table(), &p, 1, [](const std::string&) { return size_t{0}; }, [&](const ColumnData& c) {
    if (c.name == "kind" && p.kind.empty()) return;
    store_column(impl_->file, c, Storage::attributes, impl_->sink);
  });
}

void Hdf5Output::write_run(const std::string& group, const RunResult& run) {
  impl_->require_usable();
  const Sink& file = impl_->sink;
  Handle g = create_group(impl_->file, group, file);
  // Every column of the results schema, in schema order; groups are created as they appear.
  // A table group's `fields` attribute lists its datasets in schema order (readers order columns
  // by it; HDF5 lists a group's members by name).
  std::string open_name = "\x01", fields;
  Handle sub;
  auto close_sub = [&] {
    if (!sub.valid()) return;
    write_string_attribute(sub, "fields", fields, file);
    close_checked(sub, file, "close group '" + open_name + "'");
  };
  try {
    for_each_run_column(run, [&](const std::string& table_group, Storage storage, const ColumnData& c) {
      if (table_group != open_name) {
        close_sub();
        fields.clear();
        open_name = table_group;
        if (!table_group.empty())
          sub = link_exists(g, table_group)
                    ? checked(H5Gopen2(g, table_group.c_str(), H5P_DEFAULT), H5Gclose, file, "open group '" + table_group + "'")
                    : create_group(g, table_group, file);
      }
      store_column(table_group.empty() ? g.get() : sub.get(), c, storage, file);
      fields += (fields.empty() ? "" : ",") + c.name;
    });
  } catch (const std::logic_error& e) {
    throw RuntimeFailure("HDF5 output '" + file.name + "': inconsistent run result: " + e.what());
  }
  close_sub();
  close_checked(g, file, "close group '" + group + "'");
}

void Hdf5Output::commit() {
  impl_->require_usable();
  const Sink& sink = impl_->sink;
  write_facts(impl_->file, {"complete"}, sink);
  // Flush while the file is still open: if it fails, the close below happens on the abandoned file.
  check(H5Fflush(impl_->file, H5F_SCOPE_GLOBAL), sink, "flush the file");
  close_checked(impl_->file, sink, "close the file");
  impl_->sink.file = -1;
  // Make the bytes durable before the name says the file is finished.
  const int fd = ::open(partial_path_.c_str(), O_RDONLY);
  if (fd < 0 || ::fsync(fd) != 0) {
    const std::string why = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    throw RuntimeFailure("HDF5 output '" + partial_path_ + "': cannot sync the file to disk (" + why + ")");
  }
  ::close(fd);
  if (std::rename(partial_path_.c_str(), path_.c_str()) != 0)
    throw RuntimeFailure("HDF5 output: cannot rename '" + partial_path_ + "' to '" + path_ + "' (" +
                         std::strerror(errno) + ")");
  impl_->committed = true;
  // Make the rename durable too (best effort: not every file system allows syncing a directory).
  fs::path dir = fs::path(path_).parent_path();
  if (dir.empty()) dir = ".";
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

// ------------------------------------------------------------------------------------ readers

RunResult read_run(const std::string& path, const std::string& group, bool with_daily) {
  Handle file = open_for_reading(path);
  require_complete(file, path);
  const Sink sink(path);
  if (!link_exists(file, group)) throw RuntimeFailure("HDF5 output '" + path + "': no run group '" + group + "'");
  Handle g = checked(H5Gopen2(file, group.c_str(), H5P_DEFAULT), H5Gclose, sink, "open group '" + group + "'");
  RunResult run;
  run.service_names = read_strings(g, "service_names", sink);
  run.role_names = read_strings(g, "role_names", sink);
  run.facility_use_names = read_strings(g, "facility_use_names", sink);
  // Table sizes from the stored shapes: communities from communities/name, years from the
  // year table, days from the daily records.
  auto length_of = [&](const std::string& dataset) -> size_t {
    if (!link_exists(g, dataset)) return 0;
    Handle d = checked(H5Dopen2(g, dataset.c_str(), H5P_DEFAULT), H5Dclose, sink, "read dataset '" + dataset + "'");
    Handle space = checked(H5Dget_space(d), H5Sclose, sink, "read dataset '" + dataset + "'");
    hsize_t dims[3] = {0, 0, 0};
    if (H5Sget_simple_extent_ndims(space) < 1 || H5Sget_simple_extent_dims(space, dims, nullptr) < 0) return 0;
    return static_cast<size_t>(dims[0]);
  };
  const size_t communities = length_of(community_table().group + "/" + community_table().fields.front().name);
  const size_t services = run.service_names.size(), roles = run.role_names.size();
  run.communities.resize(communities);
  run.service_totals.resize(communities * services);
  run.role_totals.resize(communities * roles);
  run.citywide.resize(services);
  run.citywide_roles.resize(roles);
  run.wait_hist.resize(services);
  run.working_wait_hist.resize(services);
  run.activities.resize(length_of(activity_table().group + "/" + activity_table().fields.front().name));
  run.years.resize(length_of(year_table().fields.front().name));
  const size_t districts = length_of(district_table().group + "/" + district_table().fields.front().name);
  run.districts.resize(districts);
  run.district_services.resize(districts * services);
  const size_t types = length_of(household_type_table().group + "/" + household_type_table().fields.front().name);
  run.household_types.resize(types);
  run.household_type_services.resize(types * services);
  const bool daily = with_daily && link_exists(g, daily_service_table().group);
  if (daily) {
    Handle d = checked(H5Dopen2(g, (daily_service_table().group + "/" + daily_service_table().fields.front().name).c_str(), H5P_DEFAULT),
                       H5Dclose, sink, "read the daily records");
    Handle space = checked(H5Dget_space(d), H5Sclose, sink, "read the daily records");
    hsize_t dims[3] = {0, 0, 0};
    if (H5Sget_simple_extent_ndims(space) != 3 || H5Sget_simple_extent_dims(space, dims, nullptr) < 0)
      throw RuntimeFailure("HDF5 output '" + path + "': daily records are not (communities, days, services)");
    run.daily.days = static_cast<int>(dims[1]);
    run.daily.communities = static_cast<int>(communities);
    run.daily.services = static_cast<int>(services);
    run.daily.roles = static_cast<int>(roles);
  }
  std::vector<ColumnData> columns;
  for_each_run_table(run, [&](const auto& table, auto* rows, size_t n) {
    if (table.group == "daily" && !daily) return;
    Handle sub;
    hid_t loc = g;
    if (!table.group.empty()) {
      if (!link_exists(g, table.group)) return;
      sub = checked(H5Gopen2(g, table.group.c_str(), H5P_DEFAULT), H5Gclose, sink, "open group '" + table.group + "'");
      loc = sub;
    }
    columns.clear();
    for (const auto& f : table.fields) {
      if (f.derived) continue;
      const bool attribute = table.storage == Storage::attributes;
      if (auto c = read_column(loc, f.name, f.dtype, attribute, sink)) columns.push_back(std::move(*c));
      if (f.axis == "ragged")
        if (auto o = read_column(loc, f.name + "_offset", Dtype::u64, false, sink)) columns.push_back(std::move(*o));
    }
    try {
      assign_columns(table, rows, n, [&](const std::string& name) -> const ColumnData* {
        for (const auto& c : columns)
          if (c.name == name) return &c;
        return nullptr;
      });
    } catch (const std::exception& e) {
      throw RuntimeFailure("HDF5 output '" + path + "': " + group + "/" + table.group + ": " + e.what());
    }
  });
  return run;
}

std::string read_root_string_attribute(const std::string& path, const std::string& name) {
  Handle file = open_for_reading(path);
  const htri_t exists = H5Aexists(file, name.c_str());
  if (exists < 0) fail(path, "read attribute '" + name + "'");
  if (exists == 0) throw RuntimeFailure("HDF5 output '" + path + "': no root attribute '" + name + "'");
  return read_string_attribute(file, name.c_str(), path);
}

void require_complete_output(const std::string& path) {
  Handle file = open_for_reading(path);
  require_complete(file, path);
}

bool is_complete_output(const std::string& path) {
  try {
    Handle file = open_for_reading(path);
    require_complete(file, path);
    return true;
  } catch (...) {
    H5Eclear2(H5E_DEFAULT);
    return false;
  }
}

// ------------------------------------------------------------------------------------ incremental writing
// (studies: sim/study/runner.cpp). Added after the single-run writer; it does not change it.

namespace {

Handle open_object(hid_t file, const std::string& object, const Sink& sink) {
  return checked(H5Oopen(file, object.empty() ? "/" : object.c_str(), H5P_DEFAULT), H5Oclose, sink,
                 "open '" + object + "'");
}

Handle open_or_create_group(hid_t file, const std::string& object, const Sink& sink) {
  if (link_exists(file, object)) return open_object(file, object, sink);
  return create_group(file, object, sink);
}

template <class T>
T read_numeric_attribute(hid_t obj, const std::string& name, hid_t mem, const Sink& sink) {
  Handle attr = checked(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose, sink, "read attribute '" + name + "'");
  T value{};
  check(H5Aread(attr, mem, &value), sink, "read attribute '" + name + "'");
  return value;
}

template <class T>
void write_table_impl(hid_t file, const std::string& group, const std::string& name, const std::vector<T>& values,
                      const char* units, const char* description, const std::vector<uint64_t>& dims,
                      const Sink& sink) {
  Handle g = open_or_create_group(file, group, sink);
  if (link_exists(g, name)) check(H5Ldelete(g, name.c_str(), H5P_DEFAULT), sink, "replace dataset '" + name + "'");
  std::vector<hsize_t> shape(dims.begin(), dims.end());
  if (shape.empty()) shape.push_back(values.size());
  write_dataset(g.get(), name.c_str(), shape, values.data(), Meta{units, description}, sink);
}

}  // namespace

Hdf5Output::Hdf5Output(const std::string& path, bool force, ReopenTag)
    : impl_(std::make_unique<Impl>(path + ".partial")), path_(path), partial_path_(path + ".partial") {
  silence_hdf5_errors();
  std::error_code ec;
  if (fs::exists(path, ec) && !force)
    throw InputError(SourcePos{}, "output", path + " exists; use --force to overwrite");
  if (!fs::is_regular_file(partial_path_, ec))
    throw InputError(SourcePos{}, "--resume", "no interrupted output " + partial_path_ + " to resume");
  if (H5Fis_hdf5(partial_path_.c_str()) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throw RuntimeFailure("HDF5 output '" + partial_path_ + "': not an HDF5 file (cannot resume; rerun without --resume)");
  }
  Sink& sink = impl_->sink;
  Handle fapl = checked(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, sink, "open the file");
  check(H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG), sink, "open the file");
  check(H5Pset_sieve_buf_size(fapl, 0), sink, "open the file");
  const hid_t opened = H5Fopen(partial_path_.c_str(), H5F_ACC_RDWR, fapl);
  if (opened < 0) {
    const std::string detail = hdf5_error_detail();
    throw RuntimeFailure("HDF5 output '" + partial_path_ + "': cannot open the interrupted file to resume" +
                         (detail.empty() ? "" : " (" + detail + ")") + "; rerun without --resume");
  }
  impl_->file = Handle(opened, H5Fclose);
  sink.file = impl_->file;
}

std::unique_ptr<Hdf5Output> Hdf5Output::reopen_partial(const std::string& path, bool force) {
  return std::unique_ptr<Hdf5Output>(new Hdf5Output(path, force, ReopenTag{}));
}

void Hdf5Output::keep_partial_on_close() { impl_->keep_partial = true; }

void Hdf5Output::flush() {
  impl_->require_usable();
  check(H5Fflush(impl_->file, H5F_SCOPE_GLOBAL), impl_->sink, "flush the file");
}

bool Hdf5Output::exists(const std::string& object) const {
  impl_->require_usable();
  return link_exists(impl_->file, object);
}

void Hdf5Output::remove(const std::string& object) {
  impl_->require_usable();
  if (!link_exists(impl_->file, object)) return;
  check(H5Ldelete(impl_->file, object.c_str(), H5P_DEFAULT), impl_->sink, "remove '" + object + "'");
}

bool Hdf5Output::has_attribute(const std::string& object, const std::string& name) const {
  impl_->require_usable();
  if (!link_exists(impl_->file, object)) return false;
  Handle obj = open_object(impl_->file, object, impl_->sink);
  const htri_t e = H5Aexists(obj, name.c_str());
  if (e < 0) fail(impl_->sink, "query attribute '" + name + "'");
  return e > 0;
}

void Hdf5Output::write_attribute(const std::string& object, const std::string& name, const std::string& value) {
  impl_->require_usable();
  Handle obj = open_or_create_group(impl_->file, object, impl_->sink);
  write_string_attribute(obj, name.c_str(), value, impl_->sink);
}

void Hdf5Output::write_attribute(const std::string& object, const std::string& name, int64_t value) {
  impl_->require_usable();
  Handle obj = open_or_create_group(impl_->file, object, impl_->sink);
  write_scalar_attribute<int64_t>(obj, name.c_str(), value, impl_->sink);
}

void Hdf5Output::write_attribute(const std::string& object, const std::string& name, double value) {
  impl_->require_usable();
  Handle obj = open_or_create_group(impl_->file, object, impl_->sink);
  write_scalar_attribute<double>(obj, name.c_str(), value, impl_->sink);
}

std::string Hdf5Output::string_attribute(const std::string& object, const std::string& name) const {
  impl_->require_usable();
  Handle obj = open_object(impl_->file, object, impl_->sink);
  return read_string_attribute(obj, name.c_str(), impl_->sink);
}

int64_t Hdf5Output::int_attribute(const std::string& object, const std::string& name) const {
  impl_->require_usable();
  Handle obj = open_object(impl_->file, object, impl_->sink);
  return read_numeric_attribute<int64_t>(obj, name, H5T_NATIVE_INT64, impl_->sink);
}

double Hdf5Output::double_attribute(const std::string& object, const std::string& name) const {
  impl_->require_usable();
  Handle obj = open_object(impl_->file, object, impl_->sink);
  return read_numeric_attribute<double>(obj, name, H5T_NATIVE_DOUBLE, impl_->sink);
}

void Hdf5Output::write_table(const std::string& group, const std::string& name, const std::vector<double>& values,
                             const char* units, const char* description, std::vector<uint64_t> dims) {
  impl_->require_usable();
  write_table_impl(impl_->file, group, name, values, units, description, dims, impl_->sink);
}
void Hdf5Output::write_table(const std::string& group, const std::string& name, const std::vector<int64_t>& values,
                             const char* units, const char* description, std::vector<uint64_t> dims) {
  impl_->require_usable();
  write_table_impl(impl_->file, group, name, values, units, description, dims, impl_->sink);
}
void Hdf5Output::write_table(const std::string& group, const std::string& name, const std::vector<uint64_t>& values,
                             const char* units, const char* description, std::vector<uint64_t> dims) {
  impl_->require_usable();
  write_table_impl(impl_->file, group, name, values, units, description, dims, impl_->sink);
}
void Hdf5Output::write_table(const std::string& group, const std::string& name,
                             const std::vector<std::string>& values, const char* description) {
  impl_->require_usable();
  Handle g = open_or_create_group(impl_->file, group, impl_->sink);
  if (link_exists(g, name))
    check(H5Ldelete(g, name.c_str(), H5P_DEFAULT), impl_->sink, "replace dataset '" + name + "'");
  write_strings(g, name.c_str(), values, description, impl_->sink);
}

void Hdf5Output::write_column(const std::string& group, const ColumnData& column, Storage storage) {
  impl_->require_usable();
  Handle g = open_or_create_group(impl_->file, group, impl_->sink);
  if (storage != Storage::attributes && link_exists(g, column.name))
    check(H5Ldelete(g, column.name.c_str(), H5P_DEFAULT), impl_->sink, "replace dataset '" + column.name + "'");
  store_column(g, column, storage, impl_->sink);
}

std::vector<double> Hdf5Output::read_doubles(const std::string& dataset) const {
  impl_->require_usable();
  return read_vector<double>(impl_->file, dataset, impl_->sink);
}

std::vector<std::string> read_string_dataset(const std::string& path, const std::string& dataset) {
  Handle file = open_for_reading(path);
  return read_strings(file, dataset, path);
}

std::vector<double> read_double_dataset(const std::string& path, const std::string& dataset) {
  Handle file = open_for_reading(path);
  return read_vector<double>(file, dataset, Sink(path));
}

std::vector<int64_t> read_int_dataset(const std::string& path, const std::string& dataset) {
  Handle file = open_for_reading(path);
  return read_vector<int64_t>(file, dataset, Sink(path));
}

std::string read_attribute_text(const std::string& path, const std::string& object, const std::string& name) {
  Handle file = open_for_reading(path);
  const Sink sink(path);
  Handle obj = open_object(file, object, sink);
  if (H5Aexists(obj, name.c_str()) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throw RuntimeFailure("HDF5 output '" + path + "': '" + object + "' has no attribute '" + name + "'");
  }
  Handle attr = checked(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose, sink, "read attribute '" + name + "'");
  Handle type = checked(H5Aget_type(attr), H5Tclose, sink, "read attribute '" + name + "'");
  if (H5Tget_class(type) == H5T_STRING) return read_string_attribute(obj, name.c_str(), sink);
  if (H5Tget_class(type) == H5T_FLOAT) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", read_numeric_attribute<double>(obj, name, H5T_NATIVE_DOUBLE, sink));
    return buf;
  }
  return std::to_string(read_numeric_attribute<int64_t>(obj, name, H5T_NATIVE_INT64, sink));
}

void write_run_output(Hdf5Output& output, const Scenario& sc, const std::vector<RunResult>& runs,
                      const std::string& command_line, const RunFileFacts* facts) {
  output.write_provenance(Provenance{sc.name, sc.resolved_yaml, sc.source_file, sc.run.seed, kVersion, kGitCommit,
                                     command_line});
  if (facts) write_result_table(output, "/", run_file_table(), facts, 1, [](const std::string&) { return size_t{0}; });
  for (size_t r = 0; r < runs.size(); ++r) output.write_run(run_group(static_cast<long>(r)), runs[r]);
  output.commit();
}

}  // namespace commsim
