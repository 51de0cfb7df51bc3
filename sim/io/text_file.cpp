// Text outputs through a partial file and a rename (text_file.hpp).
#include "sim/io/text_file.hpp"

#include <cstdio>
#include <fstream>

#include "sim/core/error.hpp"

namespace commsim {

void write_text_atomically(const std::string& path, const std::string& text, const std::string& option) {
  const std::string tmp = path + ".partial";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw InputError(SourcePos{path, 0, 0}, option, "cannot write the file (check the directory exists and is writable)");
    f << text;
    f.flush();
    if (!f) {
      std::remove(tmp.c_str());
      throw RuntimeFailure("writing " + path + " failed (disk full?)");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw RuntimeFailure("cannot rename " + tmp + " to " + path);
  }
}

}  // namespace commsim
