// The sizes a zip archive's central directory declares, read with plain file reads (no
// allocation by declared size), so that a zip bomb is refused before miniz allocates for it.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace vgg2 {

struct ZipEntrySize {
  std::string name;
  uint64_t compressed = 0, uncompressed = 0;
};

// The entries' declared sizes, or false when the directory cannot be read (miniz then reports why).
inline bool ReadZipEntrySizes(const std::string& path, uint64_t file_size, std::vector<ZipEntrySize>& out) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  auto read_at = [&](uint64_t pos, void* buf, size_t n) {
    return pos + n <= file_size && std::fseek(f, static_cast<long>(pos), SEEK_SET) == 0 &&
           std::fread(buf, 1, n, f) == n;
  };
  auto u16 = [](const uint8_t* p) { return static_cast<uint32_t>(p[0] | (p[1] << 8)); };
  auto u32 = [&](const uint8_t* p) { return u16(p) | (u16(p + 2) << 16); };
  auto u64 = [&](const uint8_t* p) {
    return static_cast<uint64_t>(u32(p)) | (static_cast<uint64_t>(u32(p + 4)) << 32);
  };
  bool ok = false;
  do {
    // End of central directory: 22 bytes plus a comment of up to 65535.
    const uint64_t tail_len = file_size < 65557 ? file_size : 65557;
    std::vector<uint8_t> tail(tail_len);
    if (tail_len < 22 || !read_at(file_size - tail_len, tail.data(), tail_len)) break;
    int64_t eocd = -1;
    for (int64_t i = static_cast<int64_t>(tail_len) - 22; i >= 0; --i)
      if (u32(&tail[i]) == 0x06054b50) {
        eocd = i;
        break;
      }
    if (eocd < 0) break;
    uint64_t entries = u16(&tail[eocd + 10]), cd_size = u32(&tail[eocd + 12]), cd_offset = u32(&tail[eocd + 16]);
    if (entries == 0xFFFF || cd_size == 0xFFFFFFFF || cd_offset == 0xFFFFFFFF) {  // zip64
      uint8_t loc[20], rec[56];
      const uint64_t eocd_pos = file_size - tail_len + eocd;
      if (eocd_pos < 20 || !read_at(eocd_pos - 20, loc, 20) || u32(loc) != 0x07064b50) break;
      if (!read_at(u64(loc + 8), rec, 56) || u32(rec) != 0x06064b50) break;
      entries = u64(rec + 32);
      cd_size = u64(rec + 40);
      cd_offset = u64(rec + 48);
    }
    if (cd_size > file_size || cd_offset > file_size - cd_size || entries > cd_size / 46) break;
    std::vector<uint8_t> cd(cd_size);
    if (!read_at(cd_offset, cd.data(), cd_size)) break;
    size_t p = 0;
    bool bad = false;
    for (uint64_t e = 0; e < entries && !bad; ++e) {
      if (p + 46 > cd.size() || u32(&cd[p]) != 0x02014b50) {
        bad = true;
        break;
      }
      ZipEntrySize z;
      z.compressed = u32(&cd[p + 20]);
      z.uncompressed = u32(&cd[p + 24]);
      const size_t name_len = u16(&cd[p + 28]), extra_len = u16(&cd[p + 30]), comment_len = u16(&cd[p + 32]);
      if (p + 46 + name_len + extra_len + comment_len > cd.size()) {
        bad = true;
        break;
      }
      z.name.assign(reinterpret_cast<const char*>(&cd[p + 46]), name_len);
      // Zip64 extended information (0x0001): the 64-bit sizes that are 0xFFFFFFFF above, in order.
      for (size_t x = p + 46 + name_len; x + 4 <= p + 46 + name_len + extra_len;) {
        const size_t id = u16(&cd[x]), len = u16(&cd[x + 2]);
        if (x + 4 + len > p + 46 + name_len + extra_len) break;
        if (id == 0x0001) {
          size_t q = x + 4;
          if (z.uncompressed == 0xFFFFFFFF && q + 8 <= x + 4 + len) z.uncompressed = u64(&cd[q]), q += 8;
          if (z.compressed == 0xFFFFFFFF && q + 8 <= x + 4 + len) z.compressed = u64(&cd[q]);
        }
        x += 4 + len;
      }
      out.push_back(std::move(z));
      p += 46 + name_len + extra_len + comment_len;
    }
    ok = !bad;
  } while (false);
  std::fclose(f);
  return ok;
}

}  // namespace vgg2
