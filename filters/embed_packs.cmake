# Writes OUT: a C++ file defining chosei::builtin_pack_sources() from PACK_DIR/<name>.json
# for each name in PACKS (comma-separated).
string(REPLACE "," ";" PACKS "${PACKS}")
set(body "")
foreach(pack ${PACKS})
  file(READ ${PACK_DIR}/${pack}.json text)
  string(APPEND body "      {\"${pack}\", R\"chosei_pack(${text})chosei_pack\"},\n")
endforeach()
file(WRITE ${OUT}.tmp "// Generated from filters/packs/*.json by filters/embed_packs.cmake.
#include \"filters/builtin_packs.h\"

namespace chosei {

const std::vector<std::pair<std::string, std::string>>& builtin_pack_sources() {
  static const std::vector<std::pair<std::string, std::string>> packs = {
${body}  };
  return packs;
}

}  // namespace chosei
")
file(RENAME ${OUT}.tmp ${OUT})
