/* true_static: exits 0 at once; the child of the static fork+exec
 * benchmark. */
int main(void) { return 0; }
