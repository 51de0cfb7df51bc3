#include <cstdio>
int main() { std::puts("commsim"); return 0; }
