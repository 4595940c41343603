#include "monotube/clock.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <regex>

namespace monotube {

std::int64_t SystemClock::NowMs() const {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string FormatIso8601(std::int64_t epoch_ms) {
  std::int64_t seconds = epoch_ms / 1000;
  std::int64_t millis = epoch_ms % 1000;
  if (millis < 0) {
    millis += 1000;
    --seconds;
  }
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[80];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(millis));
  return buffer;
}

bool ParseIso8601(const std::string& text, std::int64_t& epoch_ms) {
  static const std::regex kPattern(
      R"(^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$)");
  std::smatch m;
  if (text.size() > 64 || !std::regex_match(text, m, kPattern)) return false;
  int year = std::stoi(m[1]), month = std::stoi(m[2]), day = std::stoi(m[3]);
  int hour = m[4].matched ? std::stoi(m[4]) : 0;
  int minute = m[5].matched ? std::stoi(m[5]) : 0;
  int second = m[6].matched ? std::stoi(m[6]) : 0;
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60) return false;
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (day > kDays[month - 1] + (month == 2 && leap ? 1 : 0)) return false;
  int millis = 0;
  if (m[7].matched) {
    std::string fraction = m[7].str();
    fraction.resize(3, '0');
    millis = std::stoi(fraction.substr(0, 3));
  }
  int offset_minutes = 0;
  if (m[8].matched && m[8].str() != "Z") {
    std::string z = m[8].str();
    int sign = z[0] == '-' ? -1 : 1;
    std::string digits;
    for (char c : z.substr(1))
      if (c != ':') digits += c;
    int oh = std::stoi(digits.substr(0, 2)), om = std::stoi(digits.substr(2, 2));
    if (oh > 23 || om > 59) return false;
    offset_minutes = sign * (oh * 60 + om);
  }
  // Days from civil (Howard Hinnant's algorithm).
  int y = year - (month <= 2 ? 1 : 0);
  int era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = static_cast<unsigned>(y - era * 400);
  unsigned mp = static_cast<unsigned>(month + (month > 2 ? -3 : 9));
  unsigned doy = (153 * mp + 2) / 5 + static_cast<unsigned>(day) - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  std::int64_t days = static_cast<std::int64_t>(era) * 146097 + static_cast<std::int64_t>(doe) - 719468;
  std::int64_t seconds_total = days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
  epoch_ms = seconds_total * 1000 + millis;
  return true;
}

}  // namespace monotube
