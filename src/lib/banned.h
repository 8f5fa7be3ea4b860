/* banned.h - functions we never call: unbounded copies and hidden state. */
#ifndef VS_BANNED_H
#define VS_BANNED_H

#define BANNED(func) sorry_##func##_is_banned_use_vs_buf_or_snprintf

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef gets
#define gets(x) BANNED(gets)

#endif
